// A first visit gets a session cookie (an opaque random token); the workspace behind it is
// created by the first API call that reads it (lib/session.ts). The request itself carries
// the new cookie too, so the page's first calls already share one workspace.

import { NextResponse, type NextRequest } from "next/server";

import { SESSION_COOKIE } from "./lib/session-cookie";

export function proxy(req: NextRequest) {
  if (req.cookies.has(SESSION_COOKIE)) return NextResponse.next();
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = Buffer.from(bytes).toString("base64url");
  req.cookies.set(SESSION_COOKIE, token);
  const res = NextResponse.next({ request: { headers: req.headers } });
  res.cookies.set(SESSION_COOKIE, token, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    maxAge: 60 * 60 * 24 * 365,
  });
  return res;
}

export const config = {
  matcher: ["/new", "/api/billing/:path*", "/api/members", "/api/turns", "/api/checkout", "/api/portal"],
};
