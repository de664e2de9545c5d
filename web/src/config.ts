// Written at deploy time next to the app (template.yaml's ConsoleConfig), served locally by the runtime.
export interface ConsoleConfig {
  apiUrl: string; // the API's origin (the console's own, behind CloudFront)
  authDomain: string; // Cognito hosted UI domain: <authDomain>/oauth2/authorize, /oauth2/token, /logout
  clientId: string;
  redirectUri: string;
  region: string;
}

let loaded: ConsoleConfig | undefined;

export async function loadConfig(): Promise<ConsoleConfig> {
  if (!loaded) {
    const response = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: "no-store" });
    if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
    loaded = (await response.json()) as ConsoleConfig;
  }
  return loaded;
}

export function config(): ConsoleConfig {
  if (!loaded) throw new Error("loadConfig() first");
  return loaded;
}
