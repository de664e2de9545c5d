// A list the API pages with next_cursor: the current page, and back/forward through pages already seen.
import { useCallback, useEffect, useState } from "react";

export interface CursorPage<T> {
  items: T[];
  next_cursor?: string | null;
}

export function useCursorList<T>(load: (cursor?: string) => Promise<CursorPage<T>>, deps: unknown[]) {
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<CursorPage<T>>({ items: [] });
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const [reloads, setReloads] = useState(0);
  const cursor = pages[pages.length - 1];

  useEffect(() => setPages([undefined]), deps); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(undefined);
    load(cursor)
      .then((result) => live && setPage(result))
      .catch((err: unknown) => live && setError(err))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [cursor, reloads, ...deps]); // eslint-disable-line react-hooks/exhaustive-deps

  return {
    items: page.items,
    loading,
    error,
    pageNumber: pages.length,
    hasNext: Boolean(page.next_cursor),
    next: useCallback(() => page.next_cursor && setPages((p) => [...p, page.next_cursor ?? undefined]), [page]),
    previous: useCallback(() => setPages((p) => (p.length > 1 ? p.slice(0, -1) : p)), []),
    reload: useCallback(() => setReloads((n) => n + 1), []),
  };
}
