"""MCP 2025-11-25 tasks against `p mcp`, driven by the official Python SDK's experimental
tasks client (`session.experimental`), which its 1.x line has (pinned to 1.30.0: the 2.x
releases dropped it). Prints one JSON object with what it saw.

Usage: mcp_tasks_client.py P_EXECUTABLE
"""
import asyncio, json, os, sys, time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import McpError
from mcp.types import CallToolResult


async def main():
    p = sys.argv[1]
    seen = {"logs": [], "statuses": []}

    async def on_log(params):
        seen["logs"].append({"level": params.level, "data": str(params.data)})

    async def on_message(message):
        inner = getattr(message, "root", message)
        if type(inner).__name__ == "TaskStatusNotification":
            seen["statuses"].append({"taskId": inner.params.taskId, "status": inner.params.status})

    server = StdioServerParameters(command=p, args=["mcp"], env=dict(os.environ))
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write, logging_callback=on_log, message_handler=on_message) as session:
            init = await session.initialize()
            tasks = init.capabilities.tasks
            seen["capability"] = bool(tasks and tasks.list is not None and tasks.cancel is not None
                                      and tasks.requests and tasks.requests.tools and tasks.requests.tools.call is not None)
            tools = (await session.list_tools()).tools
            seen["task_support"] = {t.name: (t.execution.taskSupport if t.execution else None) for t in tools}

            # exec as a task: created at once, polled to the end, its result what exec answers.
            began = time.monotonic()
            created = await session.experimental.call_tool_as_task(
                "exec", {"command": "echo out; echo err >&2; sleep 1; exit 3"})
            seen["created_after_s"] = time.monotonic() - began
            task_id = created.task.taskId
            seen["exec_task"] = task_id
            seen["first_status"] = created.task.status
            seen["ttl"] = created.task.ttl
            seen["poll_interval"] = created.task.pollInterval
            got = [status.status async for status in session.experimental.poll_task(task_id)]
            seen["polled"] = got
            result = await session.experimental.get_task_result(task_id, CallToolResult)
            seen["exec_result"] = result.structuredContent
            seen["related"] = (result.meta or {}).get("io.modelcontextprotocol/related-task")

            # A submit as a task: its result is the job's end.
            created = await session.experimental.call_tool_as_task(
                "job", {"action": "submit", "command": "echo submitted; exit 0"})
            seen["submit_task"] = created.task.taskId
            result = await session.experimental.get_task_result(created.task.taskId, CallToolResult)
            seen["submit_result"] = result.structuredContent
            final = await session.experimental.get_task(created.task.taskId)
            seen["submit_final"] = final.status

            # A long task cancelled: the job stops; a second cancel is refused.
            created = await session.experimental.call_tool_as_task("exec", {"command": "sleep 300"})
            long_id = created.task.taskId
            cancelled = await session.experimental.cancel_task(long_id)
            seen["cancelled"] = cancelled.status
            try:
                await session.experimental.cancel_task(long_id)
                seen["second_cancel"] = "accepted"
            except McpError as error:
                seen["second_cancel"] = error.error.code
            listed = await session.experimental.list_tasks()
            seen["listed"] = sorted(t.taskId for t in listed.tasks)
            try:
                await session.experimental.get_task("no-such-task")
                seen["unknown_task"] = "found"
            except McpError as error:
                seen["unknown_task"] = error.error.code
            try:
                await session.experimental.call_tool_as_task("job_list", {})
                seen["list_as_task"] = "accepted"
            except McpError as error:
                seen["list_as_task"] = error.error.code
            # The plain call is unchanged.
            plain = await session.call_tool("exec", {"command": "echo plain"})
            seen["plain"] = plain.structuredContent
            for _ in range(200):
                ended = [line["data"] for line in seen["logs"] if "ended" in line["data"]]
                if any(seen["submit_task"] in line for line in ended) and any(long_id in line for line in ended):
                    break
                await asyncio.sleep(0.05)
    print(json.dumps(seen))


asyncio.run(main())
