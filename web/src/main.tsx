import { App as AntApp, ConfigProvider } from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import dayjs from "dayjs";
import "dayjs/locale/zh-cn";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { setBaseUrl } from "./api/client";
import { App } from "./App";
import { loadConfig } from "./config";
import { LangProvider, useLang } from "./i18n";

function Localized() {
  const { lang } = useLang();
  dayjs.locale(lang === "zh" ? "zh-cn" : "en");
  return (
    <ConfigProvider locale={lang === "zh" ? zhCN : enUS} theme={{ token: { colorPrimary: "#1668dc" } }}>
      <AntApp>
        <App />
      </AntApp>
    </ConfigProvider>
  );
}

const root = createRoot(document.getElementById("root")!);
loadConfig()
  .then((config) => {
    setBaseUrl(config.apiUrl);
    root.render(
      <StrictMode>
        <LangProvider>
          <Localized />
        </LangProvider>
      </StrictMode>,
    );
  })
  .catch((err: Error) => {
    root.render(<p role="alert">控制台无法启动 · The console cannot start: {err.message}</p>);
  });
