import { Alert } from "antd";
import type { FormInstance } from "antd";
import { ApiProblem } from "../api/client";

/** A failed call shown as the message its problem+json carries (title, then detail). */
export function ProblemAlert({ error, onClose }: { error: unknown; onClose?: () => void }) {
  if (!error) return null;
  const message = error instanceof ApiProblem ? error.problem.title : "出错了 · Something went wrong";
  const detail = error instanceof ApiProblem ? error.problem.detail : error instanceof Error ? error.message : String(error);
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      title={message}
      description={detail || undefined}
      closable={onClose ? { onClose } : undefined}
      style={{ marginBottom: 16 }}
    />
  );
}

/** Puts a 422's field errors next to their fields; true if any field of the form took one. */
export function showFieldErrors(form: FormInstance, error: unknown): boolean {
  if (!(error instanceof ApiProblem)) return false;
  const known = error.fieldErrors.filter((e) => e.field && e.field !== "body");
  form.setFields(
    known.map((e) => ({
      name: e.field.split(".").map((part) => (/^\d+$/.test(part) ? Number(part) : part)),
      errors: [e.message],
    })),
  );
  return known.length > 0;
}
