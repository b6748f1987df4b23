// Polar's hosted checkout through the adapter: the page links to
// /api/checkout?products=…&seats=…&customerExternalId=… and the adapter creates the checkout
// and redirects the browser to it. Polar sends the buyer back to SUCCESS_URL (the adapter
// adds `checkoutId`).

import { Checkout } from "@polar-sh/nextjs";

export const GET = Checkout({
  accessToken: process.env.POLAR_ACCESS_TOKEN,
  successUrl: process.env.SUCCESS_URL,
  server: "sandbox",
});
