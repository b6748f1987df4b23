// The product's one page: the conversation, the members and the billing dialog (tegy.tsx).

import { Tegy } from "./tegy";

export default function NewPage() {
  return <Tegy />;
}
