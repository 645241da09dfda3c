"""The task worker for OpenVINO: ``python -m sizer.tasks.ov_worker``.

The same job and the same "item" events as the llama.cpp worker (``sizer.tasks.worker``),
answered by OpenVINO GenAI's LLMPipeline on an IR directory or a GGUF: the model's own chat
template (from its converted tokenizer), greedy decoding, the extraction schema as GenAI's
structured-output constraint, and the same stop rules, applied as tokens stream in (a
streamer that stops generation at a stop string or at the end of the JSON object or code
fence). Items run one at a time, each generate() from an empty KV cache, so every item is its
own single-user latency sample.
"""

from __future__ import annotations

import json
import time
from importlib import metadata
from typing import Any

from sizer.tasks.prompting import (
    PLAIN_FORMAT,
    error_line,
    fit,
    refused_event,
    reply_fields,
    serve_items,
)
from sizer.tasks.stops import ENDERS, cut_at_stop, reply_ends


class OvChat:
    """The pipeline plus its prompt format: the tokenizer's chat template, else plain."""

    def __init__(self, job: dict[str, Any]) -> None:
        import openvino as ov
        import openvino_genai as genai

        self.ov, self.genai = ov, genai
        props: dict[str, Any] = {"KV_CACHE_PRECISION": "f16"}  # as `sizer bench`'s default
        if job.get("device", "CPU") == "CPU":
            props["INFERENCE_NUM_THREADS"] = job["threads"]
        self.pipe = genai.LLMPipeline(job["model_path"], job.get("device", "CPU"), **props)
        self.tokenizer = self.pipe.get_tokenizer()
        self.n_ctx = job["n_ctx"]
        self.templated = self._template_works()
        self.format = "chat_template" if self.templated else "plain"
        self.width = 1  # one item at a time
        self.eos = {int(self.tokenizer.get_eos_token_id())}

    def _template_works(self) -> bool:
        try:
            self.tokenizer.apply_chat_template(
                [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
                add_generation_prompt=True,
            )
        except Exception:
            return False  # no template in the converted tokenizer, or one GenAI cannot render
        return True

    def _encode(self, text: str, special: bool) -> list[int]:
        encoded = self.tokenizer.encode(text, add_special_tokens=special)
        return [int(i) for i in encoded.input_ids.data[0]]

    def tokens(self, prompt: dict[str, Any], document: str) -> list[int]:
        user = prompt["before"] + document + prompt["after"]
        if not self.templated:
            return self._encode(PLAIN_FORMAT.format(system=prompt["system"], user=user), True)
        rendered = self.tokenizer.apply_chat_template(
            [{"role": "system", "content": prompt["system"]}, {"role": "user", "content": user}],
            add_generation_prompt=True,
        )
        return self._encode(rendered, False)  # the template already wrote the special tokens

    def doc_tokens(self, text: str) -> list[int]:
        return self._encode(text, False)

    def text_of(self, tokens: list[int]) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=True)

    def answer(self, tokens: list[int], prompt: dict[str, Any]) -> tuple[float, _Stream]:
        """(start time, the finished stream) for one prompt, greedy from an empty cache."""
        import numpy as np

        config = self.genai.GenerationConfig(max_new_tokens=prompt["max_tokens"], do_sample=False)
        if prompt["schema"] is not None:
            config.structured_output_config = self.genai.StructuredOutputConfig(
                json_schema=json.dumps(prompt["schema"])
            )
        ids = np.array([tokens], dtype=np.int64)
        inputs = self.genai.TokenizedInputs(self.ov.Tensor(ids), self.ov.Tensor(np.ones_like(ids)))
        stream = _Stream(self, prompt)
        started = time.perf_counter()
        self.pipe.generate(inputs, config, stream.streamer())
        return started, stream


class _Stream:
    """Collects one reply token by token, timestamping each, and says STOP at the end of
    turn, a stop string or the answer's end, exactly where the llama.cpp loop would stop."""

    def __init__(self, chat: OvChat, prompt: dict[str, Any]) -> None:
        self.chat, self.stop = chat, tuple(prompt["stop"])
        self.end = prompt["end"]
        self.ender = ENDERS[self.end]() if self.end else None
        self.tokens: list[int] = []
        self.stamps: list[float] = []
        self.text = ""
        self.finish = "length"

    def streamer(self) -> Any:
        genai, stream = self.chat.genai, self

        class Streamer(genai.StreamerBase):  # type: ignore[misc, name-defined]
            def write(self, token: Any) -> Any:
                ids = [int(t) for t in token] if isinstance(token, list) else [int(token)]
                done = any(stream.take(i) for i in ids)
                return genai.StreamingStatus.STOP if done else genai.StreamingStatus.RUNNING

            def end(self) -> None:
                return None

        return Streamer()

    def take(self, token: int) -> bool:
        """Record the token; True when the reply is complete."""
        self.stamps.append(time.perf_counter())
        if token in self.chat.eos:
            self.finish = "stop"
            return True
        self.tokens.append(token)
        text = self.chat.text_of(self.tokens)
        piece, self.text = text[len(self.text) :], text
        if reply_ends(self.text[-64 - len(piece) :], piece, self.stop, self.ender):
            self.finish = "stop"
            return True
        return False

    def answer_text(self) -> str:
        return cut_at_stop(self.text, self.stop, self.end == "fence")


def answer_all(chat: OvChat, job: dict[str, Any], emit: Any) -> None:
    for prompt in job["prompts"]:
        emit({"event": "admitted", "uid": prompt["uid"]})
        try:
            tokens, note = fit(chat, prompt, job["overflow"])
            if tokens is None:
                emit(refused_event(prompt["uid"], note))
                continue
            started, stream = chat.answer(tokens, prompt)
        except Exception as exc:  # this item failed; the next one goes on
            emit(
                {"event": "item", "uid": prompt["uid"], "error": error_line(exc), "finish": "error"}
            )
            continue
        fields = reply_fields(
            note,
            started,
            stream.stamps,
            len(tokens),
            True,
            stream.finish,
            len(stream.tokens),
            stream.answer_text(),
        )
        emit({"event": "item", "uid": prompt["uid"], **fields})


def main() -> None:
    serve_items(
        OvChat,
        lambda chat: {
            "openvino": chat.ov.get_version(),
            "openvino-genai": metadata.version("openvino-genai"),
        },
        answer_all,
    )


if __name__ == "__main__":
    main()
