import { Button, Result } from "antd";
import { createBrowserRouter, RouterProvider, useNavigate } from "react-router-dom";
import { Callback } from "./Callback";
import { AREAS } from "./registry";
import { Shell } from "./Shell";

function NotFound() {
  const navigate = useNavigate();
  return (
    <Result
      status="404"
      title="页面不存在 · Page not found"
      extra={<Button onClick={() => navigate("/")}>首页 · Home</Button>}
    />
  );
}

const router = createBrowserRouter(
  [
    { path: "/callback", element: <Callback /> },
    {
      path: "/",
      element: <Shell menu={AREAS.flatMap((area) => area.menu)} />,
      children: [...AREAS.flatMap((area) => area.routes), { path: "*", element: <NotFound /> }],
    },
  ],
  { basename: import.meta.env.BASE_URL.replace(/\/$/, "") },
);

export function App() {
  return <RouterProvider router={router} />;
}
