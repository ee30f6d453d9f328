/** The name this implementation reports at `/api/version`. */
export const IMPLEMENTATION = "setchat-reference";
/** This implementation's version. */
export const VERSION = "0.1.0";
