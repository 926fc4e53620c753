import type { SegmentField } from "../segments/segment-fields.ts";
import { CHURN_RISKS, RFM_SEGMENTS } from "./rfm-segments.ts";

/**
 * The segment rule fields over the nightly results: a contact's RFM segment (is, is not, any
 * of, scored or not) and its company's churn risk (is, any of). Values are allow-listed: one
 * of the named segments or risk levels.
 */
export const ANALYTICS_SEGMENT_FIELDS: SegmentField[] = [
  {
    name: "rfmSegment",
    label: "RFM segment (nightly)",
    group: "Activity",
    kind: "select",
    ops: ["equals", "not_equals", "in", "is_empty", "is_not_empty"],
    choices: RFM_SEGMENTS.map((s) => ({ value: s, label: s })),
    target: { kind: "rfmSegment" },
  },
  {
    name: "churnRisk",
    label: "Company churn risk (nightly)",
    group: "Activity",
    kind: "select",
    ops: ["equals", "in"],
    choices: CHURN_RISKS.map((r) => ({ value: r, label: r })),
    target: { kind: "churnRisk" },
  },
];
