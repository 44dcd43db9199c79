"""The one place that talks HTTP to LINE, through line-bot-sdk's MessagingApi: LineClient for the
calls made from threads (webhook, CLI, background readers), AsyncLineClient for the sender's
messages, which keep many calls in flight on one event loop.
"""
from __future__ import annotations

import asyncio
import ssl
import threading
from dataclasses import dataclass

import aiohttp
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    RichMenuBulkLinkRequest,
    RichMenuRequest,
    ShowLoadingAnimationRequest,
)
from urllib3.exceptions import HTTPError

# How a LineError for a call LINE never answered starts (timeouts, refused connections): the call
# may or may not have taken effect.
UNREACHABLE = "LINE unreachable"


@dataclass
class LineError(Exception):
    """A LINE call that did not succeed. status is None when LINE never answered."""

    status: int | None
    message: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"LINE {self.status}: {self.message}" if self.status else f"{UNREACHABLE}: {self.message}"

    @classmethod
    def answered(cls, exc: ApiException) -> LineError:
        """LINE's refusal, with its Retry-After."""
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        retry_after = headers.get("retry-after")
        body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body)
        return cls(exc.status, body[:500], float(retry_after) if retry_after else None)


def message_call(path: str, body: dict, retry_key: str | None) -> dict:
    """The arguments of the SDK's call_api that POST a message request of LINE's JSON.

    The messages were line-bot-sdk models, validated, when they were queued, and the outbox keeps
    them as LINE's JSON. Turning them back into models only to serialise them again cost more
    CPU than the rest of the call (the request models' validation), on every reply.
    """
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if retry_key:
        headers["X-Line-Retry-Key"] = retry_key
    return dict(resource_path=path, method="POST", header_params=headers, body=body, auth_settings=["Bearer"],
                response_types_map={})


class LineClient:
    def __init__(self, access_token: str, base_url: str = "", timeout: float = 10.0, pool_size: int = 32):
        self.configuration = Configuration(access_token=access_token, host=base_url or None)
        # We retry through the outbox with a retry key; urllib3 must not resend a POST itself.
        self.configuration.retries = 0
        self.configuration.connection_pool_maxsize = pool_size
        self.timeout = timeout
        self._local = threading.local()

    def _client(self) -> ApiClient:
        # One ApiClient (and connection pool) per thread: the generated client is not
        # documented as thread-safe.
        if not hasattr(self._local, "client"):
            self._local.client = ApiClient(self.configuration)
        return self._local.client

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, _request_timeout=self.timeout, **kwargs)
        except ApiException as exc:
            raise LineError.answered(exc) from exc
        except HTTPError as exc:
            raise LineError(None, type(exc).__name__) from exc

    async def connect_async(self, connections: int) -> AsyncLineClient:
        """The sender's client, with this one's channel, host and timeout, on the running loop."""
        return await AsyncLineClient.open(self.configuration, self.timeout, connections)

    def message_quota(self) -> int | None:
        """This month's target limit set on LINE (free plus additional messages), None when there is none."""
        quota = self._call(MessagingApi(self._client()).get_message_quota)
        return quota.value if quota.type == "limited" else None

    def message_quota_consumption(self) -> int:
        """The messages LINE counts as sent this month."""
        return self._call(MessagingApi(self._client()).get_message_quota_consumption).total_usage

    def show_loading(self, user_id: str, seconds: int = 20) -> None:
        request = ShowLoadingAnimationRequest(chatId=user_id, loadingSeconds=seconds)
        self._call(MessagingApi(self._client()).show_loading_animation_with_http_info, request)

    def message_content(self, message_id: str) -> bytes:
        return self._call(MessagingApiBlob(self._client()).get_message_content, message_id)

    # Rich menus: `flask richmenu sync` manages them; the sender links each user's.

    def create_rich_menu(self, menu: dict, image: bytes, content_type: str = "image/png") -> str:
        """Create a rich menu with its image; return its id."""
        api = MessagingApi(self._client())
        menu_id = self._call(api.create_rich_menu, RichMenuRequest.from_dict(menu)).rich_menu_id
        self._call(MessagingApiBlob(self._client()).set_rich_menu_image, menu_id, image,
                   _headers={"Content-Type": content_type})
        return menu_id

    def rich_menu_exists(self, menu_id: str) -> bool:
        try:
            self._call(MessagingApi(self._client()).get_rich_menu, menu_id)
        except LineError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def delete_rich_menu(self, menu_id: str) -> None:
        self._call(MessagingApi(self._client()).delete_rich_menu, menu_id)

    def set_default_rich_menu(self, menu_id: str) -> None:
        self._call(MessagingApi(self._client()).set_default_rich_menu, menu_id)

    def link_rich_menu_to_users(self, menu_id: str, user_ids: list[str]) -> None:
        request = RichMenuBulkLinkRequest(richMenuId=menu_id, userIds=user_ids)
        self._call(MessagingApi(self._client()).link_rich_menu_id_to_users, request)


class AsyncLineClient:
    """The message calls of the sender, on line-bot-sdk's asyncio client (aiohttp): up to `connections`
    calls in flight over one connection pool, whatever the number of threads. At 100 ms a call, 1,000
    replies a second need 100 calls in flight; threads waiting on LINE would each hold one.
    """

    def __init__(self, api: AsyncMessagingApi, timeout: float):
        self._api = api
        self.timeout = timeout

    @classmethod
    async def open(cls, configuration: Configuration, timeout: float, connections: int) -> AsyncLineClient:
        """The client, on the running loop (aiohttp binds its session to it)."""
        api_client = AsyncApiClient(Configuration(access_token=configuration.access_token, host=configuration.host))
        # The SDK's session trusts the environment: aiohttp then looks up ~/.netrc and the proxy
        # variables on a thread at every call, two thread hand-offs per message. The SDK's other
        # client reads neither, so neither does this one; the pool holds `connections`.
        await api_client.rest_client.pool_manager.close()
        api_client.rest_client.pool_manager = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, ssl=ssl.create_default_context()))
        return cls(AsyncMessagingApi(api_client), timeout)

    async def close(self) -> None:
        await self._api.api_client.close()

    async def _call(self, fn, *args, **kwargs):
        try:
            return await fn(*args, _request_timeout=self.timeout, **kwargs)
        except ApiException as exc:
            raise LineError.answered(exc) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise LineError(None, type(exc).__name__) from exc

    async def reply(self, reply_token: str, messages: list[dict]) -> None:
        await self._send("/v2/bot/message/reply", {"replyToken": reply_token, "messages": messages})

    async def push(self, to: str, messages: list[dict], retry_key: str) -> None:
        await self._send("/v2/bot/message/push", {"to": to, "messages": messages}, retry_key)

    async def multicast(self, to: list[str], messages: list[dict], retry_key: str) -> None:
        await self._send("/v2/bot/message/multicast", {"to": to, "messages": messages}, retry_key)

    async def _send(self, path: str, body: dict, retry_key: str | None = None) -> None:
        await self._call(self._api.api_client.call_api, _host=self._api.line_base_path,
                         **message_call(path, body, retry_key))

    async def link_rich_menu(self, user_id: str, menu_id: str) -> None:
        await self._call(self._api.link_rich_menu_id_to_user, user_id, menu_id)

    async def unlink_rich_menu(self, user_id: str) -> None:
        await self._call(self._api.unlink_rich_menu_id_from_user, user_id)
