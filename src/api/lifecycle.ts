// The lifecycle fields shared by the template (`lifecycle`) and the Kode (`spec.lifecycle`, which may only shorten
// the template's values), and the Kode's `status.activity` / `status.startup`. Durations are Go-style strings.
import * as v from "valibot";
import { DURATION_PATTERN } from "../lifecycle/duration.ts";
import { celRules, DATE_TIME, str } from "./common.ts";

const DURATION = new RegExp(DURATION_PATTERN);

const duration = (description: string) =>
  v.pipe(v.string(), v.maxLength(64), v.regex(DURATION, "must be a Go duration such as 30m, 1h30m or 90s"), v.description(description));

/** At least one minute (CEL in the CRD: a pattern cannot say it; the operator checks it again with a reason). */
const minuteOrMore = (description: string) =>
  v.pipe(
    v.string(),
    v.maxLength(64),
    v.regex(DURATION, "must be a Go duration such as 30m, 1h30m or 90s"),
    celRules<string>({ rule: "duration(self) >= duration('1m')", message: "must be at least 1m" }),
    v.description(description),
  );

/** The fields; a later field (e.g. an archive delay) is added here once and appears in both places. */
export const lifecycleFields = (who: "template" | "kode") => ({
  idleTimeout: v.optional(
    minuteOrMore(
      who === "template"
        ? "Pause a Kode after this long without use (at least 1m), e.g. 30m. Unset: never pause for idleness."
        : "Pause this Kode after this long without use (at least 1m); may only be shorter than the template's.",
    ),
  ),
  maxRunTime: v.optional(
    minuteOrMore(
      who === "template"
        ? "Pause a Kode this long after it started or resumed, whatever its activity (at least 1m), e.g. 8h. Unset: no cap."
        : "Pause this Kode this long after it started or resumed (at least 1m); may only be shorter than the template's.",
    ),
  ),
  warnBefore: v.optional(duration("How long before an automatic pause a Warning Event (IdleSoon, MaxRunTimeSoon) announces it. Default 5m.")),
});

export const TemplateLifecycleSchema = v.pipe(
  v.object({
    ...lifecycleFields("template"),
    archiveAfter: v.optional(
      minuteOrMore(
        "Archive a Kode paused this long (at least 1m), e.g. 720h: a fresh backup, verified (restic check and a sample restored), then its volume is deleted; resuming restores it. Needs the template's backup. Unset: never archived.",
      ),
    ),
  }),
  v.description("Automatic pauses of the template's Kodes (StatefulSet scaled to 0; storage, Secrets, Service and route kept)."),
);

export const KodeLifecycleSchema = v.pipe(
  v.object(lifecycleFields("kode")),
  v.description("This Kode's own lifecycle: shortens the template's values (a longer value is refused with a reason and the template's applies)."),
);

const time = (description: string) => v.optional(v.pipe(v.string(), v.regex(DATE_TIME), v.description(description)));

export const ActivityStatusSchema = v.pipe(
  v.object({
    verdict: v.pipe(v.picklist(["Active", "Idle", "Unknown"]), v.description("Active, Idle or Unknown (Unknown never leads to an idle pause).")),
    reason: str("Why, for a person: e.g. 'active: kernel busy', 'idle: only keep-alive traffic, 1 connection'."),
    signal: str("What was read: code-server, jupyter, envoy (joined with + when several), or none."),
    lastActiveTime: time("When the Kode was last seen in use."),
    idleSince: time("Since when the Kode is idle (the Idle column shows the time since)."),
    pauseAt: time("When the Kode will be paused automatically unless it is used or extended."),
  }),
  v.description("The activity verdict of the running Kode, written when the verdict, reason or a time in it changes."),
);

export const StartupStatusSchema = v.pipe(
  v.object({
    startedAt: time("When the pod of the current run was created."),
    scheduledAt: time("When it was scheduled to a node."),
    initializedAt: time("When its init containers and plugins were done."),
    readyAt: time("When it became Ready."),
    seconds: v.optional(v.pipe(v.number(), v.minValue(0), v.description("Seconds from creation to Ready."))),
  }),
  v.description("Start-phase timings of the current run (each start and resume)."),
);
