// What the user typed survives a trip to the sign-in page (a 401 mid-edit) and a reload: each form's
// values are kept in sessionStorage under its own key until it is saved or cancelled.
import type { FormInstance } from "antd";
import { useEffect } from "react";

const PREFIX = "crm.draft.";

export function useDraft(key: string, form: FormInstance, ready = true): { save: () => void; clear: () => void } {
  useEffect(() => {
    if (!ready) return;
    const raw = sessionStorage.getItem(PREFIX + key);
    if (raw) form.setFieldsValue(JSON.parse(raw));
  }, [key, form, ready]);
  return {
    save: () => sessionStorage.setItem(PREFIX + key, JSON.stringify(form.getFieldsValue(true))),
    clear: () => sessionStorage.removeItem(PREFIX + key),
  };
}

export function hasDraft(key: string): boolean {
  return sessionStorage.getItem(PREFIX + key) !== null;
}
