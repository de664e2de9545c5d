import { Button, Result, Spin } from "antd";
import { useEffect, useState } from "react";
import { completeSignIn, signIn } from "./auth/session";

/** /console/callback: where the sign-in page sends the user back with a code. */
export function Callback() {
  const [error, setError] = useState<string>();
  useEffect(() => {
    completeSignIn(location.search)
      .then((next) => location.replace(next)) // a full load: the shell reads the new session
      .catch((err: Error) => setError(err.message));
  }, []);
  if (!error) return <Spin fullscreen />;
  return (
    <Result
      status="warning"
      title="登录未完成 · Sign-in did not complete"
      subTitle={error}
      extra={<Button type="primary" onClick={() => void signIn("/console/")}>重新登录 · Sign in again</Button>}
    />
  );
}
