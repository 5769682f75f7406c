"""The local SMS gateway of dev and test: a real HTTP server speaking notifications' SMS protocol
(see `notifications/adapters/sms.py`), which can be told to fail, delay or time out.

    python -m deploy.smsgateway --port 29096 --store .local/test/sms.jsonl

- `POST /v1/messages` (Bearer API key, `Idempotency-Key`): 202 `{id, segments, encoding}`. A repeated
  key with the same body gets the first answer and sends nothing; with another body, 422.
  Shortly after, it posts a signed receipt (`delivered`, or `failed` in the `undeliverable` mode) to
  the message's `callback_url`, retrying with backoff until the callback answers 2xx.
- `POST /control/faults` `{"mode": "fail"|"reject"|"delay"|"undeliverable"|"none", "count": n,
  "delay_s": s}` for the next `n` sends: `fail` answers 503 without sending, `reject` 400 (a
  permanent refusal), `delay` sends and then waits `delay_s` before answering (a client with a
  shorter timeout sees a time-out although the message went), `undeliverable` sends and receipts
  `failed`. With `"seconds": s` the fault holds for every send during the next `s` seconds instead of
  for a count (a gateway down or slow for a while).
- `GET /control/messages` lists what was sent (also appended to the `--store` file, which
  `python -m deploy mail` shows); `DELETE /control/messages` forgets it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from notifications.domain.segments import count as count_segments


_TLS = ssl.create_default_context()
"""Made once: a client of its own per receipt otherwise loads the CA bundle each time, which cost more
CPU than everything else a send does (measured in bench/pipeline.py's runs)."""


class Send(BaseModel):
    to: str = Field(min_length=3, max_length=32)
    text: str = Field(min_length=1, max_length=2000)
    callback_url: str | None = None
    reference: str | None = Field(None, max_length=100)
    from_: str | None = Field(None, alias="from", max_length=11)


class Faults(BaseModel):
    mode: str = Field(pattern="^(fail|reject|delay|undeliverable|none)$")
    count: int = Field(1, ge=0)
    delay_s: float = Field(0.0, ge=0, le=120)
    seconds: float | None = Field(None, gt=0, le=3600)


@dataclass
class Gateway:
    api_key: str
    callback_secret: str
    store: Path | None
    receipt_delay_s: float = 0.2
    messages: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[str, tuple[str, dict]] = field(default_factory=dict)
    faults: Faults = field(default_factory=lambda: Faults(mode="none", count=0))
    tasks: set = field(default_factory=set)
    faults_until: float | None = None

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self.faults_until = None if faults.seconds is None else time.monotonic() + faults.seconds

    def take_fault(self) -> Faults | None:
        if self.faults_until is not None:
            if time.monotonic() < self.faults_until and self.faults.mode != "none":
                return self.faults
            self.set_faults(Faults(mode="none", count=0))
            return None
        if self.faults.mode == "none" or self.faults.count <= 0:
            return None
        self.faults = self.faults.model_copy(update={"count": self.faults.count - 1})
        return self.faults

    async def post_receipt(self, message: dict, status: str) -> None:
        await asyncio.sleep(self.receipt_delay_s)
        body = json.dumps({"id": message["id"], "reference": message["reference"], "status": status,
                           "error": None if status == "delivered" else "unknown_subscriber"}).encode()
        signature = "sha256=" + hmac.new(self.callback_secret.encode(), body, hashlib.sha256).hexdigest()
        delay = 0.2
        async with httpx.AsyncClient(timeout=5, verify=_TLS) as http:
            for _ in range(30):
                try:
                    resp = await http.post(message["callback_url"], content=body,
                                           headers={"Content-Type": "application/json", "X-Signature": signature})
                    if resp.is_success:
                        message["receipt"] = status
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


def create_app(gateway: Gateway) -> FastAPI:
    app = FastAPI(title="Local SMS gateway")

    @app.post("/v1/messages", status_code=202)
    async def send(body: Send, request: Request, authorization: str | None = Header(None),
                   idempotency_key: str | None = Header(None)) -> JSONResponse:
        if authorization != f"Bearer {gateway.api_key}":
            raise HTTPException(401, "Authorization: a valid API key is needed")
        if not idempotency_key:
            raise HTTPException(400, "Idempotency-Key: required")
        fingerprint = hashlib.sha256(await request.body()).hexdigest()
        if idempotency_key in gateway.by_key:
            first_fingerprint, answer = gateway.by_key[idempotency_key]
            if first_fingerprint != fingerprint:
                raise HTTPException(422, "Idempotency-Key: reused with a different request")
            return JSONResponse(answer, status_code=202, headers={"Idempotent-Replayed": "true"})
        fault = gateway.take_fault()
        if fault is not None and fault.mode == "fail":
            raise HTTPException(503, "gateway failure (fault injected)")
        if fault is not None and fault.mode == "reject":
            raise HTTPException(400, "to: not a number this gateway can deliver to (fault injected)")
        segments = count_segments(body.text)
        message = {"id": uuid4().hex, "idempotency_key": idempotency_key, "to": body.to, "from": body.from_,
                   "text": body.text, "segments": segments.count, "encoding": segments.encoding,
                   "reference": body.reference, "callback_url": body.callback_url,
                   "received_at": datetime.now(UTC).isoformat(), "receipt": None}
        answer = {"id": message["id"], "segments": segments.count, "encoding": segments.encoding}
        gateway.by_key[idempotency_key] = (fingerprint, answer)
        gateway.messages.append(message)
        if gateway.store is not None:
            with gateway.store.open("a", encoding="utf-8") as out:
                out.write(json.dumps({k: v for k, v in message.items() if k != "callback_url"},
                                     ensure_ascii=False) + "\n")
        if body.callback_url:
            status = "failed" if fault is not None and fault.mode == "undeliverable" else "delivered"
            task = asyncio.create_task(gateway.post_receipt(message, status))
            gateway.tasks.add(task)
            task.add_done_callback(gateway.tasks.discard)
        if fault is not None and fault.mode == "delay":
            await asyncio.sleep(fault.delay_s)
        return JSONResponse(answer, status_code=202)

    @app.post("/control/faults")
    async def set_faults(faults: Faults) -> dict:
        gateway.set_faults(faults)
        return faults.model_dump()

    @app.get("/control/messages")
    async def list_messages() -> list[dict]:
        return [{k: v for k, v in m.items() if k != "callback_url"} for m in gateway.messages]

    @app.delete("/control/messages", status_code=204)
    async def forget() -> None:
        gateway.messages.clear()

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.smsgateway", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", type=Path)
    args = parser.parse_args()
    gateway = Gateway(api_key=os.environ["BACKBONE_SMS_API_KEY"],
                      callback_secret=os.environ["BACKBONE_SMS_CALLBACK_SECRET"], store=args.store)
    uvicorn.run(create_app(gateway), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
