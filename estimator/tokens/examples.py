"""Records -> examples: which texts to tokenize, fixed overheads, trainable parts, validation.

Chat overhead, OpenAI's rule (OpenAI cookbook, Chat_finetuning_data_prep.ipynb,
``num_tokens_from_messages``): every message costs 3 tokens plus the tokens of each of its
values (role included), +1 if it has a ``name``; every conversation costs 3 more (the
reply is primed with ``<|start|>assistant<|message|>``). Trainable tokens are the
assistant messages' content tokens, as in that notebook, minus messages with ``weight: 0``.
For open-weight models ``chat_format`` is the template's overhead per message (an int):
each message costs that many tokens plus its content; role strings are not counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from estimator.tokens.record_format import mismatch, shape

RECOGNIZED_MESSAGE_KEYS = frozenset({"role", "content", "name", "function_call", "weight", "tool_calls", "tool_call_id", "refusal"})
RECOGNIZED_ROLES = frozenset({"system", "user", "assistant", "function", "tool", "developer"})
NOT_SENT = frozenset({"weight"})  # metadata the trainer reads; never tokenized


def _dumps(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Batch:
    """Texts of many examples, flattened so that one tokenizer call counts them all."""

    texts: list[str] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)  # index into the example lists below
    bucket: list[str] = field(default_factory=list)
    train: list[bool] = field(default_factory=list)
    mult: list[int] = field(default_factory=list)
    fixed: list[dict[str, int]] = field(default_factory=list)  # per example: overhead tokens by bucket
    messages: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    chars: int = 0

    def __len__(self) -> int:
        return len(self.lines)

    def new_example(self, line: int, messages: int = 0) -> int:
        self.fixed.append({})
        self.messages.append(messages)
        self.lines.append(line)
        return len(self.lines) - 1

    def text(self, ex: int, text: str, bucket: str, trainable: bool, mult: int = 1) -> None:
        if text:
            self.texts.append(text)
            self.owner.append(ex)
            self.bucket.append(bucket)
            self.train.append(trainable)
            self.mult.append(mult)
            self.chars += len(text)

    def overhead(self, ex: int, bucket: str, tokens: int) -> None:
        if tokens:
            fixed = self.fixed[ex]
            fixed[bucket] = fixed.get(bucket, 0) + tokens


class ExampleBuilder:
    """Validate records and add them to a Batch; findings go through ``report``."""

    def __init__(self, chat_format: str | int, count_small, report):
        self.openai = chat_format == "openai"
        self.per_message = 3 if self.openai else int(chat_format)
        self.count_small = count_small
        self.report = report
        self.json_values = False  # True for jsonl/json: a bare JSON string is then not an example
        self.expected: tuple[str, int] | None = None  # the file's record shape and where it was decided

    def add(self, batch: Batch, line: int, item: Any) -> None:
        if self.expected is not None and isinstance(item, (dict, list)):
            found = shape(item)
            if found != self.expected[0] and (found is not None or isinstance(item, dict)):
                kind, message = mismatch(self.expected, found, list(map(str, item)) if isinstance(item, dict) else [])
                self.report(kind, line, message)
                return
        if isinstance(item, str) and not self.json_values:
            ex = batch.new_example(line)
            batch.text(ex, item, "text", True)
        elif isinstance(item, dict):
            self._record(batch, line, item)
        elif isinstance(item, list) and item and all(isinstance(m, dict) for m in item):
            self._chat(batch, line, {"messages": item})
        elif item is None:
            self.report("missing_content", line, "empty value")
        else:
            self.report("data_type", line, f"example is a JSON {type(item).__name__}, not an object")

    def _record(self, batch: Batch, line: int, rec: dict) -> None:
        if "messages" in rec:
            self._chat(batch, line, rec)
        elif "preferred_output" in rec or "non_preferred_output" in rec:
            self._preference(batch, line, rec)
        elif "prompt" in rec and "completion" in rec:
            ex = batch.new_example(line)
            batch.text(ex, _dumps(rec["prompt"]), "prompt", False)
            batch.text(ex, _dumps(rec["completion"]), "completion", True)
        elif "instruction" in rec and "output" in rec:  # Alpaca: as a user/assistant chat
            user = str(rec["instruction"]) + (f"\n\n{rec['input']}" if rec.get("input") else "")
            messages = [{"role": "user", "content": user}, {"role": "assistant", "content": str(rec["output"])}]
            if rec.get("system"):
                messages.insert(0, {"role": "system", "content": str(rec["system"])})
            self._chat(batch, line, {"messages": messages})
        elif isinstance(rec.get("text"), str):
            ex = batch.new_example(line)
            batch.text(ex, rec["text"], "text", True)
        else:
            keys = ", ".join(list(rec)[:6]) or "none"
            self.report("missing_messages_list", line,
                        f"no 'messages' list (nor prompt/completion, text, instruction/output, preference keys); keys: {keys}")

    def _chat(self, batch: Batch, line: int, rec: dict) -> None:
        messages = rec.get("messages")
        if not isinstance(messages, list) or not messages:
            self.report("missing_messages_list", line, "'messages' is missing, empty or not a list")
            return
        if not self._valid_messages(line, messages):
            return
        ex = batch.new_example(line, len(messages))
        self._messages(batch, ex, messages, 1)
        if rec.get("tools") or rec.get("functions"):
            batch.text(ex, _dumps(rec.get("tools") or rec.get("functions")), "tools", False)
        if self.openai:
            batch.overhead(ex, "conversation", 3)
        roles = {m.get("role") for m in messages}
        if "system" not in roles and "developer" not in roles:
            self.report("missing_system_message", line, "no system message")
        if "user" not in roles:
            self.report("missing_user_message", line, "no user message")

    def _valid_messages(self, line: int, messages: list) -> bool:
        ok, has_assistant = True, False
        for i, m in enumerate(messages, 1):
            if not isinstance(m, dict):
                self.report("data_type", line, f"message {i} is not an object")
                return False
            role = m.get("role")
            if role is not None and not isinstance(role, str):
                self.report("data_type", line, f"message {i} has a role that is not a string ({type(role).__name__})")
                return False
            if "role" not in m or ("content" not in m and not (m.get("tool_calls") or m.get("function_call"))):
                self.report("message_missing_key", line, f"message {i} lacks 'role' or 'content'")
                ok = False
            unknown = m.keys() - RECOGNIZED_MESSAGE_KEYS
            if unknown:
                self.report("message_unrecognized_key", line, f"message {i} has unrecognized key(s): {', '.join(sorted(map(str, unknown)))}")
                ok = False
            if role is not None and role not in RECOGNIZED_ROLES:
                self.report("unrecognized_role", line, f"message {i} has unrecognized role '{role}'")
                ok = False
            content = m.get("content")
            if not (m.get("tool_calls") or m.get("function_call")) and (not content or not isinstance(content, (str, list))):
                self.report("missing_content", line, f"message {i} has no text content")
                ok = False
            if "weight" in m and (isinstance(m["weight"], (list, dict)) or m["weight"] not in (0, 1)):
                self.report("invalid_weight", line, f"message {i} has weight {m['weight']!r}; only 0 or 1 is allowed")
            has_assistant = has_assistant or role == "assistant"
        if not has_assistant:
            self.report("example_missing_assistant_message", line, "no assistant message")  # counted all the same
        return ok

    def _messages(self, batch: Batch, ex: int, messages: list, mult: int) -> None:
        per_message, openai, small = self.per_message, self.openai, self.count_small
        for m in messages:
            role = m.get("role")
            bucket = role if role in RECOGNIZED_ROLES else "other"
            trainable = role == "assistant" and m.get("weight", 1) != 0
            fixed = per_message
            for key, value in m.items():
                if key in NOT_SENT or value is None:
                    continue
                if key == "content":
                    if isinstance(value, list):
                        for part in value:
                            if isinstance(part, dict) and isinstance(part.get("text"), str):
                                batch.text(ex, part["text"], bucket, trainable, mult)
                            else:
                                self.report("content_not_counted", batch.lines[ex], "a non-text content part (e.g. an image) is not counted")
                    else:
                        batch.text(ex, _dumps(value), bucket, trainable, mult)
                elif key in ("tool_calls", "function_call"):
                    batch.text(ex, _dumps(value), bucket, trainable, mult)
                elif key == "role":
                    if openai:
                        fixed += small(_dumps(value))
                else:  # name, tool_call_id, refusal, unknown keys: their value is sent too
                    text = _dumps(value)
                    if len(text) <= 64:
                        fixed += small(text)
                    else:
                        batch.text(ex, text, bucket, False, mult)
                    if key == "name" and openai:
                        fixed += 1
            batch.overhead(ex, bucket, fixed * mult)

    def _preference(self, batch: Batch, line: int, rec: dict) -> None:
        """DPO pair: two sequences, input+preferred and input+non-preferred; both outputs trainable."""
        inp = rec.get("input")
        outs = [rec.get("preferred_output"), rec.get("non_preferred_output")]
        msgs = inp.get("messages") if isinstance(inp, dict) else None
        if not isinstance(msgs, list) or not msgs:
            self.report("missing_messages_list", line, "preference example: 'input.messages' is missing or empty")
            return
        if not all(isinstance(o, list) and o for o in outs):
            self.report("missing_content", line, "preference example needs non-empty 'preferred_output' and 'non_preferred_output' lists")
            return
        if not self._valid_messages(line, msgs + outs[0]) or not self._valid_messages(line, msgs + outs[1]):
            return
        ex = batch.new_example(line, 2 * len(msgs) + len(outs[0]) + len(outs[1]))
        self._messages(batch, ex, msgs, 2)
        for out in outs:
            self._messages(batch, ex, out, 1)
        if inp.get("tools"):
            batch.text(ex, _dumps(inp["tools"]), "tools", False, 2)
        if self.openai:
            batch.overhead(ex, "conversation", 6)
