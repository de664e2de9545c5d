import { AuditOutlined, FileProtectOutlined, MoneyCollectOutlined } from "@ant-design/icons";
import { lazy } from "react";
import { MANAGERS, OFFICE, type ConsoleModule } from "../../modules";

const Agreements = lazy(() => import("./Agreements"));
const AgreementPage = lazy(() => import("./AgreementPage"));
const AgreementForm = lazy(() => import("./AgreementForm"));
const Accruals = lazy(() => import("./Accruals"));
const VoucherPage = lazy(() => import("./Accruals").then((x) => ({ default: x.VoucherPage })));
const Cases = lazy(() => import("./Cases"));
const CasePage = lazy(() => import("./Cases").then((x) => ({ default: x.CasePage })));

const group = { zh: "返利", en: "Rebates" };

export const area: ConsoleModule = {
  routes: [
    { path: "rebates/agreements", element: <Agreements /> },
    { path: "rebates/agreements/new", element: <AgreementForm /> },
    { path: "rebates/agreements/:id", element: <AgreementPage /> },
    { path: "rebates/agreements/:id/edit", element: <AgreementForm /> },
    { path: "rebates/accruals", element: <Accruals /> },
    { path: "rebates/vouchers/:id", element: <VoucherPage /> },
    { path: "rebates/cases", element: <Cases /> },
    { path: "rebates/cases/:id", element: <CasePage /> },
  ],
  menu: [
    // A distributor's user sees its own agreements and vouchers; the API holds it to them.
    { path: "/rebates/agreements", label: { zh: "经销协议", en: "Agreements" }, icon: <FileProtectOutlined />, roles: [...OFFICE, "distributor"], group },
    { path: "/rebates/accruals", label: { zh: "返利计提", en: "Rebate accruals" }, icon: <MoneyCollectOutlined />, roles: [...MANAGERS, "finance", "distributor"], group },
    { path: "/rebates/cases", label: { zh: "窜货案件", en: "Diversion cases" }, icon: <AuditOutlined />, roles: [...MANAGERS, "finance"], group },
  ],
};
