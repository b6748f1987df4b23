// The session cookie's name, shared by proxy.ts (which sets it) and lib/session.ts (which reads it).
export const SESSION_COOKIE = "wt_session";
