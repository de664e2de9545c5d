// A distributor file goes up in two steps: POST /flow-uploads gives a presigned upload form (and the load's id),
// then the browser posts the file to it. XMLHttpRequest, not fetch, since only it reports upload progress.
import { api, ok, type Schemas } from "../../api/client";

export type FileKind = Schemas["UploadRequest"]["kind"];

export interface Sent {
  loadId: string;
}

// Files sent from this tab, by load id: the column-mapping step sends the same file again without asking for it.
const sentFiles = new Map<string, { file: File; kind: FileKind; period: string }>();

export function sentFile(loadId: string) {
  return sentFiles.get(loadId);
}

export async function sendFile(
  file: File,
  kind: FileKind,
  period: string,
  onProgress: (percent: number) => void,
  distributorId?: string,
): Promise<Sent> {
  const ticket = await ok(
    api().POST("/flow-uploads", { body: { kind, period, file_name: file.name, distributor_id: distributorId ?? null } }),
  );
  if (file.size > ticket.max_bytes) throw new Error(`The file is larger than ${Math.round(ticket.max_bytes / 1048576)} MB.`);
  const form = new FormData();
  for (const [key, value] of Object.entries(ticket.fields)) form.append(key, String(value));
  form.append("file", file);
  await new Promise<void>((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", ticket.url);
    request.upload.onprogress = (event) => event.lengthComputable && onProgress(Math.round((event.loaded / event.total) * 100));
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) return resolve();
      const code = /<Code>(.*?)<\/Code>/.exec(request.responseText)?.[1] ?? request.status;
      const detail = /<Message>(.*?)<\/Message>/.exec(request.responseText)?.[1] ?? request.statusText;
      reject(new Error(`${code}: ${detail}`));
    };
    request.onerror = () => reject(new Error("The upload did not get through; check the network and try again."));
    request.send(form);
  });
  onProgress(100);
  sentFiles.set(ticket.load_id, { file, kind, period });
  return { loadId: ticket.load_id };
}

/** The first lines of a text file (CSV or tab-separated), cells split: for a preview of how it will be read. */
export async function firstRows(file: File, count = 6): Promise<string[][] | null> {
  if (/\.xlsx?$/i.test(file.name)) return null; // a workbook: the headers come from the server's reading
  const bytes = new Uint8Array(await file.slice(0, 64 * 1024).arrayBuffer());
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder("gb18030").decode(bytes); // Chinese ERPs often write GBK
  }
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/).filter((line) => line.trim()).slice(0, count);
  const delimiter = lines[0]?.includes("\t") ? "\t" : ",";
  return lines.map((line) => line.split(delimiter).map((cell) => cell.trim().replace(/^"(.*)"$/, "$1")));
}
