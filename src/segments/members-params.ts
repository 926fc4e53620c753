import { z } from "zod";
import { CONTACT_SORTS } from "../contacts/list-contacts.ts";
import { defaultOrder } from "../lists/keyset.ts";
import { listLimit, optionalParam } from "../lists/list-params.ts";
import type { MembersPage, SegmentSort } from "./segment-queries.ts";

const SORTS = Object.keys(CONTACT_SORTS) as [SegmentSort, ...SegmentSort[]];

/** A page of a segment's members: the contacts list's sorts, order, cursor and limit (nothing else: the rules are the filter). */
export const membersParams = z.object({
  sort: optionalParam(z.enum(SORTS, `must be one of ${SORTS.join(", ")}`)),
  order: optionalParam(z.enum(["asc", "desc"], "must be asc or desc")),
  cursor: optionalParam(z.string().max(1024, "is not a valid cursor")),
  limit: listLimit,
});

export type MembersQuery = z.output<typeof membersParams>;

/** The page the parameters ask for, with the list's default order. */
export function membersPage(params: MembersQuery): MembersPage {
  const sort = params.sort ?? "createdAt";
  return { sort, order: params.order ?? defaultOrder(sort), cursor: params.cursor, limit: params.limit };
}
