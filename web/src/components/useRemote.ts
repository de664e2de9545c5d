import { useCallback, useEffect, useState } from "react";

/** One call's answer for a screen: data, error (an ApiProblem or other), loading, and reload(). */
export function useRemote<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [reloads, setReloads] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(undefined);
    load()
      .then((value) => live && setData(value))
      .catch((err: unknown) => live && setError(err))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [reloads, ...deps]); // eslint-disable-line react-hooks/exhaustive-deps
  return { data, error, loading, reload: useCallback(() => setReloads((n) => n + 1), []), setData };
}
