"""A second MCP client for `p mcp`: the official Python SDK (`mcp` on PyPI), driving the
server over stdio the way an agent would, so leniency shared by the two halves of the Swift
SDK cannot hide a protocol mistake. Prints one JSON object with what it saw.

Usage: mcp_client.py P_EXECUTABLE WORKER_ROOT
"""
import asyncio, json, os, sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def attr(value, snake, camel):
    """A field under either spelling: the SDK's 2.x models are snake_case, 1.x camelCase."""
    return getattr(value, snake, None) if hasattr(value, snake) else getattr(value, camel, None)


def structured(result):
    return attr(result, "structured_content", "structuredContent")


def kind(message):
    inner = getattr(message, "root", message)
    return type(inner).__name__, inner


async def main():
    p, root = sys.argv[1], sys.argv[2]
    seen = {"updates": [], "logs": []}

    async def on_message(message):
        name, inner = kind(message)
        if "ResourceUpdated" in name:
            seen["updates"].append(inner.params.uri)

    async def on_log(params):
        seen["logs"].append(str(params.data))

    server = StdioServerParameters(command=p, args=["mcp"], env=dict(os.environ))
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write, message_handler=on_message, logging_callback=on_log) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            seen["tools"] = sorted(tool.name for tool in tools)
            seen["read_only"] = sorted(
                t.name for t in tools if t.annotations and attr(t.annotations, "read_only_hint", "readOnlyHint"))
            command = "echo from python; n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; exit 4"
            first = await session.call_tool("job", {"action": "submit", "command": command, "client_key": "py-1"})
            job = structured(first)["job_id"]
            again = await session.call_tool("job", {"action": "submit", "command": command, "client_key": "py-1"})
            seen["same_job"] = structured(again)["job_id"] == job
            uri = f"p://jobs/{job}"
            await session.set_logging_level("info")
            await session.subscribe_resource(uri)
            await session.call_tool("exec", {"command": f"touch '{root}/workdirs/{job}/go'"})
            for _ in range(400):
                if uri in seen["updates"] and any("ended" in line for line in seen["logs"]):
                    break
                await asyncio.sleep(0.05)
            polled = await session.call_tool("job_poll", {"job_id": job[:8], "since": 0})
            seen["poll"] = structured(polled)
            listed = await session.call_tool("job_list", {"client_key": "py-1"})
            seen["listed"] = len(structured(listed)["jobs"])
            status = await session.read_resource(uri)
            seen["resource"] = json.loads(status.contents[0].text)
            bad = await session.call_tool("job", {"action": "poll", "job_id": "zzzz"})
            seen["bad_is_error"] = bool(attr(bad, "is_error", "isError"))
            seen["job_id"] = job
    print(json.dumps(seen))


asyncio.run(main())
