// GET /api/billing/plans: the product as the page shows it, from Polar.

import { loadProduct, seatPrice } from "@/lib/polar";

export const dynamic = "force-dynamic";

export async function GET() {
  const p = await loadProduct();
  if (!p) {
    return Response.json({ error: "polar_unreachable", message: "Polar could not be reached. Please try again." }, { status: 502 });
  }
  const price = seatPrice(p);
  return Response.json({
    plans: [
      {
        product_id: p.id,
        name: p.name,
        description: p.description ?? null,
        interval: p.recurringInterval ?? null,
        seat_based: price !== null,
        currency: price?.currency ?? null,
        price_per_seat: price?.perSeat ?? null,
        minimum_seats: price?.minimumSeats ?? null,
        maximum_seats: price?.maximumSeats ?? null,
      },
    ],
  });
}
