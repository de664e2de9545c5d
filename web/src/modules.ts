// A console area (customers, orders, ...) brings its own routes and menu entries; App puts them together.
import type { ReactNode } from "react";
import type { RouteObject } from "react-router-dom";
import type { Role } from "./auth/session";

export interface MenuEntry {
  path: string;
  label: { zh: string; en: string };
  icon: ReactNode;
  roles: Role[]; // who sees it in the menu (the API decides what they may do)
  group?: { zh: string; en: string };
}

export interface ConsoleModule {
  routes: RouteObject[];
  menu: MenuEntry[];
}

export const OFFICE: Role[] = ["rep", "dept_head", "branch_head", "hq_admin", "finance"];
export const MANAGERS: Role[] = ["dept_head", "branch_head", "hq_admin"];
export const APPROVERS: Role[] = ["dept_head", "branch_head", "hq_admin", "finance"];
