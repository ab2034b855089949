// Peer: the official TypeScript SDK (@modelcontextprotocol/sdk) on node, with an `add` tool over stdio.
// Arguments are validated by the SDK (a zod schema). The benchmark suite copies this file into
// .bench/node/ (where `npm install` put the SDK) and runs it with `node`.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "ts-sdk-add", version: "1.0.0" });

server.registerTool(
  "add",
  { description: "Add two integers.", inputSchema: { a: z.number().int(), b: z.number().int() } },
  async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
);

await server.connect(new StdioServerTransport());
