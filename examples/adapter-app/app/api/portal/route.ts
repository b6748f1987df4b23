// Polar's customer portal through the adapter, for the workspace's Polar customer (its
// external id is the workspace id, which the checkout set).

import { CustomerPortal } from "@polar-sh/nextjs";

import { workspaceId } from "@/lib/session";

export const GET = CustomerPortal({
  accessToken: process.env.POLAR_ACCESS_TOKEN!,
  getExternalCustomerId: async () => (await workspaceId()) ?? "",
  returnUrl: process.env.PORTAL_RETURN_URL,
  server: "sandbox",
});
