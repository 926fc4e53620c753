import type { TaskHandler } from "../workers/task-types.ts";
import { changeField, type FieldChange } from "./change-field.ts";
import type { FieldDefinition } from "./field-definitions.ts";

/**
 * custom-fields.change: a field's deletion or options change reaching more records than a
 * request may rewrite on the server's thread (src/http/in-pool-when-large.ts), the same
 * function, in one transaction here.
 */
const changeFieldTask: TaskHandler<FieldChange, FieldDefinition | null> = ({ params }, context) =>
  changeField(context.shard("write"), params);

export default changeFieldTask;
