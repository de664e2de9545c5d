export function stateColor(state: string): string {
  return { planned: "blue", checked_in: "orange", checked_out: "green", cancelled: "default" }[state] ?? "default";
}
