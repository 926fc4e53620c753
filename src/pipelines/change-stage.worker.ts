import type { TaskHandler } from "../workers/task-types.ts";
import { changeStage, type StageChange } from "./change-stage.ts";
import type { PipelineWithStages } from "./pipelines.ts";

/**
 * pipelines.change-stage: a stage change whose kind rewrites more deals than a request may on the
 * server's thread (src/http/in-pool-when-large.ts), the same function, in one transaction here.
 */
const changeStageTask: TaskHandler<StageChange, PipelineWithStages> = ({ params }, context) =>
  changeStage(context.shard("write"), params);

export default changeStageTask;
