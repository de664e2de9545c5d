// Every console area, in menu order. An area is a folder under pages/ whose index.tsx exports `area`.
import type { ConsoleModule } from "./modules";
import { area as home } from "./pages/home";
import { area as customers } from "./pages/customers";
import { area as portal } from "./pages/portal";
import { area as orders } from "./pages/orders";
import { area as approvals } from "./pages/approvals";
import { area as flow } from "./pages/flow";
import { area as channel } from "./pages/channel";
import { area as rebates } from "./pages/rebates";
import { area as plans } from "./pages/plans";
import { area as products } from "./pages/products";
import { area as visits } from "./pages/visits";
import { area as org } from "./pages/org";

export const AREAS: ConsoleModule[] = [home, portal, customers, orders, approvals, flow, channel, rebates, plans, products, visits, org];
