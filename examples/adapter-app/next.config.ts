import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // No "X-Powered-By: Next.js" on every answer.
  poweredByHeader: false,
};

export default nextConfig;
