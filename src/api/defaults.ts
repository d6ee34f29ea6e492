// Defaults of the kinds, in one place: the schemas default these fields, the operator applies the rest.
export const DEFAULT_HOME = "/config";
export const DEFAULT_WORKSPACE = "workspace";
export const DEFAULT_TZ = "UTC";
export const DEFAULT_PUID = 1000;
export const DEFAULT_PGID = 1000;
/** linuxserver images run the IDE as `abc`. */
export const DEFAULT_USER = "abc";
export const DEFAULT_ACCESS_MODES = ["ReadWriteOnce"];

/** A template spec's defaults as the operator sees them (what `kode render` applies to a file's template). */
export const TEMPLATE_DEFAULTS = { tz: DEFAULT_TZ, puid: DEFAULT_PUID, pgid: DEFAULT_PGID, defaultWorkspace: DEFAULT_WORKSPACE };
