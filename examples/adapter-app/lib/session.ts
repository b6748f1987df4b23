// The visitor's workspace, from the session cookie that proxy.ts gives every new visitor.

import { cookies } from "next/headers";

import { SESSION_COOKIE } from "./session-cookie";
import { store } from "./store";

/** The workspace of this request's session; null without a session cookie. */
export async function workspaceId(): Promise<string | null> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  return token ? store().workspaceForSession(token) : null;
}

export const noSession = () =>
  Response.json({ error: "no_session", message: "Open /new first: it starts your session." }, { status: 401 });
