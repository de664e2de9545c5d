import { App as AntApp, ConfigProvider } from "antd";
import zhCN from "antd/locale/zh_CN";
import dayjs from "dayjs";
import "dayjs/locale/zh-cn";
import { createRoot } from "react-dom/client";
import { setBaseUrl } from "../api/client";
import { loadConfig } from "../config";
import { LangProvider } from "../i18n";
import { RepApp } from "./RepApp";

// The reps' phone app (/console/m/): installable, and usable offline once opened (public/m/sw.js).
dayjs.locale("zh-cn");
if ("serviceWorker" in navigator) void navigator.serviceWorker.register("/console/m/sw.js", { scope: "/console/m/" });

const root = createRoot(document.getElementById("root")!);
loadConfig()
  .then((config) => {
    setBaseUrl(config.apiUrl);
    root.render(
      <LangProvider>
        <ConfigProvider locale={zhCN} theme={{ token: { colorPrimary: "#1668dc" } }}>
          <AntApp>
            <main>
              <RepApp />
            </main>
          </AntApp>
        </ConfigProvider>
      </LangProvider>,
    );
  })
  .catch((err: Error) => root.render(<p role="alert">无法启动 · Cannot start: {err.message}</p>));
