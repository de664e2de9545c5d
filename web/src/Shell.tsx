import { LogoutOutlined, MenuOutlined, TranslationOutlined, UserOutlined } from "@ant-design/icons";
import { Button, Dropdown, Layout, Menu, Space, Spin, Typography, theme, type MenuProps } from "antd";
import { Suspense, useEffect, useMemo, useState } from "react";
import { Outlet, useLocation, useNavigate } from "react-router-dom";
import { currentUser, isSignedIn, signIn, signOut } from "./auth/session";
import { UserContext } from "./components/UserContext";
import { defineMessages, useLang, useT } from "./i18n";
import { ROLE_NAMES } from "./labels";
import type { MenuEntry } from "./modules";

const m = defineMessages({
  zh: { product: "渠道 CRM", signOut: "退出登录", language: "English", roles: "角色", menu: "菜单", noAccess: "ERP 接口账号不能登录控制台。" },
  en: { product: "Channel CRM", signOut: "Sign out", language: "中文", roles: "Roles", menu: "Menu", noAccess: "The ERP integration account does not sign in to the console." },
});

export function Shell({ menu }: { menu: MenuEntry[] }) {
  const t = useT(m);
  const { lang, setLang } = useLang();
  const navigate = useNavigate();
  const location = useLocation();
  const signedIn = isSignedIn();
  const user = useMemo(() => (signedIn ? currentUser() : undefined), [signedIn]);
  const [collapsed, setCollapsed] = useState(false);
  const { token } = theme.useToken();

  useEffect(() => {
    if (!signedIn) void signIn();
  }, [signedIn]);
  if (!user) return <Spin fullscreen />;

  const mine = menu.filter((entry) => entry.roles.some((role) => user.roles.includes(role)));
  const groups = new Map<string, MenuEntry[]>();
  for (const entry of mine) {
    const group = entry.group?.[lang] ?? "";
    groups.set(group, [...(groups.get(group) ?? []), entry]);
  }
  const items: MenuProps["items"] = [...groups.entries()].flatMap(([group, entries]): NonNullable<MenuProps["items"]> => {
    const children = entries.map((e) => ({ key: e.path, icon: e.icon, label: e.label[lang] }));
    return group ? [{ type: "group" as const, key: group, label: group, children }] : children;
  });
  const selected = mine
    .map((e) => e.path)
    .filter((path) => (path === "/" ? location.pathname === "/" : location.pathname.startsWith(path)))
    .sort((a, b) => b.length - a.length)[0];

  return (
    <UserContext.Provider value={user}>
      <Layout style={{ minHeight: "100vh" }}>
        <Layout.Sider
          breakpoint="lg"
          collapsedWidth={0}
          collapsed={collapsed}
          onBreakpoint={setCollapsed}
          trigger={null}
          width={216}
          theme="light"
          // The menu stays in view while a long page scrolls, and scrolls on its own when it is the longer one.
          style={{ borderRight: `1px solid ${token.colorBorderSecondary}`, position: "sticky", top: 0, height: "100vh", overflowY: "auto" }}
        >
          <div style={{ padding: "16px 20px", fontWeight: 600, fontSize: 16 }}>{t("product")}</div>
          <nav aria-label={t("product")}>
            <Menu
              mode="inline"
              selectedKeys={selected ? [selected] : []}
              items={items}
              onClick={({ key }) => {
                navigate(key);
                if (window.innerWidth < 992) setCollapsed(true);
              }}
              style={{ borderInlineEnd: 0 }}
            />
          </nav>
        </Layout.Sider>
        <Layout>
          <Layout.Header
            style={{
              background: token.colorBgContainer,
              padding: "0 16px",
              display: "flex",
              justifyContent: "space-between",
              alignItems: "center",
              borderBottom: `1px solid ${token.colorBorderSecondary}`,
            }}
          >
            <Button
              type="text"
              icon={<MenuOutlined />}
              aria-label={t("menu")}
              aria-expanded={!collapsed}
              onClick={() => setCollapsed(!collapsed)}
            />
            <Space>
              <Button icon={<TranslationOutlined />} type="text" onClick={() => setLang(lang === "zh" ? "en" : "zh")}>
                {t("language")}
              </Button>
              <Dropdown
                menu={{
                  items: [
                    { key: "roles", disabled: true, label: `${t("roles")}: ${user.roles.map((r) => ROLE_NAMES[r]?.[lang] ?? r).join(", ")}` },
                    { key: "out", icon: <LogoutOutlined />, label: t("signOut"), onClick: () => void signOut() },
                  ],
                }}
              >
                <Button type="text" icon={<UserOutlined />} data-testid="user-menu">
                  {user.name}
                </Button>
              </Dropdown>
            </Space>
          </Layout.Header>
          <Layout.Content style={{ padding: 24, minWidth: 0 }}>
            {/* Layout.Content is the page's <main> */}
            {user.roles.some((r) => r !== "erp") ? (
              <Suspense fallback={<Spin />}>
                <Outlet />
              </Suspense>
            ) : (
              <Typography.Paragraph>{t("noAccess")}</Typography.Paragraph>
            )}
          </Layout.Content>
        </Layout>
      </Layout>
    </UserContext.Provider>
  );
}
