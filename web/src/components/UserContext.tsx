import { createContext, useContext } from "react";
import type { Role, User } from "../auth/session";

export const UserContext = createContext<User | undefined>(undefined);

export function useUser(): User {
  const user = useContext(UserContext);
  if (!user) throw new Error("useUser() outside the signed-in shell");
  return user;
}

export function hasRole(user: User, ...roles: Role[]): boolean {
  return user.roles.some((role) => roles.includes(role));
}
