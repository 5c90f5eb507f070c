"""Block Kit validation with Slack's documented limits (see DESIGN.md "Slack facts").

Error strings imitate Slack's: "<problem> [json-pointer:/blocks/0/text/text]".
"""
import json

BLOCK_TYPES = {
    "section", "divider", "image", "actions", "context", "input", "header",
    "rich_text", "file", "video", "markdown", "call",
}
INTERACTIVE = {
    "button", "checkboxes", "datepicker", "datetimepicker", "email_text_input",
    "multi_static_select", "multi_external_select", "multi_users_select",
    "multi_conversations_select", "multi_channels_select", "number_input",
    "overflow", "plain_text_input", "radio_buttons", "rich_text_input",
    "static_select", "external_select", "users_select", "conversations_select",
    "channels_select", "timepicker", "url_text_input", "workflow_button",
    "file_input",
}
ELEMENT_TYPES = INTERACTIVE | {"image"}
ACTIONS_ELEMENTS = {
    "button", "checkboxes", "datepicker", "datetimepicker", "multi_static_select",
    "multi_external_select", "multi_users_select", "multi_conversations_select",
    "multi_channels_select", "overflow", "radio_buttons", "static_select",
    "external_select", "users_select", "conversations_select", "channels_select",
    "timepicker", "workflow_button", "rich_text_input",
}
INPUT_ELEMENTS = {
    "checkboxes", "datepicker", "datetimepicker", "email_text_input",
    "multi_static_select", "multi_external_select", "multi_users_select",
    "multi_conversations_select", "multi_channels_select", "number_input",
    "plain_text_input", "radio_buttons", "rich_text_input", "static_select",
    "external_select", "users_select", "conversations_select", "channels_select",
    "timepicker", "url_text_input", "file_input",
}
ACCESSORY_ELEMENTS = {
    "button", "checkboxes", "datepicker", "image", "multi_static_select",
    "multi_external_select", "multi_users_select", "multi_conversations_select",
    "multi_channels_select", "overflow", "radio_buttons", "static_select",
    "external_select", "users_select", "conversations_select", "channels_select",
    "timepicker", "workflow_button",
}
MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
VIEW_MAX_BYTES = 250 * 1024


class Validator:
    def __init__(self):
        self.errors = []

    def err(self, msg, ptr):
        self.errors.append("%s [json-pointer:%s]" % (msg, ptr))

    # ---- primitives -----------------------------------------------------
    def string(self, obj, key, ptr, maxlen, required=False, minlen=0):
        if key not in obj:
            if required:
                self.err("missing required field: %s" % key, ptr)
            return None
        v = obj[key]
        if not isinstance(v, str):
            self.err("must be a string", "%s/%s" % (ptr, key))
            return None
        if len(v) < minlen:
            self.err("must be more than %d characters" % (minlen - 1), "%s/%s" % (ptr, key))
        if maxlen is not None and len(v) > maxlen:
            self.err("must be less than %d characters" % (maxlen + 1), "%s/%s" % (ptr, key))
        return v

    def text(self, obj, key, ptr, maxlen, plain_only=False, required=True, minlen=1):
        if key not in obj or obj[key] is None:
            if required:
                self.err("missing required field: %s" % key, ptr)
            return
        t = obj[key]
        p = "%s/%s" % (ptr, key)
        if not isinstance(t, dict):
            self.err("must be an object", p)
            return
        typ = t.get("type")
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if typ not in allowed:
            self.err("must be a valid enum value", p + "/type")
            if typ not in ("plain_text", "mrkdwn"):
                return
        s = t.get("text")
        if not isinstance(s, str):
            self.err("missing required field: text", p)
            return
        if len(s) < minlen:
            self.err("must be more than %d characters" % (minlen - 1), p + "/text")
        if maxlen is not None and len(s) > maxlen:
            self.err("must be less than %d characters" % (maxlen + 1), p + "/text")
        if "emoji" in t and not isinstance(t["emoji"], bool):
            self.err("must be a boolean", p + "/emoji")
        if "verbatim" in t and not isinstance(t["verbatim"], bool):
            self.err("must be a boolean", p + "/verbatim")

    def confirm(self, obj, ptr):
        if "confirm" not in obj:
            return
        c = obj["confirm"]
        p = ptr + "/confirm"
        if not isinstance(c, dict):
            self.err("must be an object", p)
            return
        self.text(c, "title", p, 100, plain_only=True)
        self.text(c, "text", p, 300)
        self.text(c, "confirm", p, 30, plain_only=True)
        self.text(c, "deny", p, 30, plain_only=True)
        if "style" in c and c["style"] not in ("primary", "danger"):
            self.err("must be a valid enum value", p + "/style")

    def options(self, obj, key, ptr, maxn, minn=1, required=True, textmax=75, plain_only=False):
        if key not in obj:
            if required:
                self.err("missing required field: %s" % key, ptr)
            return
        opts = obj[key]
        p = "%s/%s" % (ptr, key)
        if not isinstance(opts, list):
            self.err("must be an array", p)
            return
        if len(opts) < minn:
            self.err("must provide at least %d items" % minn, p)
        if len(opts) > maxn:
            self.err("must be less than %d items" % (maxn + 1), p)
        for i, o in enumerate(opts):
            op = "%s/%d" % (p, i)
            if not isinstance(o, dict):
                self.err("must be an object", op)
                continue
            self.text(o, "text", op, textmax, plain_only=plain_only)
            self.string(o, "value", op, 150, required=True, minlen=1)
            self.text(o, "description", op, 75, plain_only=plain_only, required=False)
            self.string(o, "url", op, 3000)

    # ---- elements -------------------------------------------------------
    def element(self, el, ptr, allowed, action_ids):
        if not isinstance(el, dict):
            self.err("must be an object", ptr)
            return
        typ = el.get("type")
        if not isinstance(typ, str):
            self.err("missing required field: type", ptr)
            return
        if typ not in ELEMENT_TYPES:
            self.err("unsupported type: %s" % typ, ptr + "/type")
            return
        if typ not in allowed:
            self.err("type %s is not allowed here" % typ, ptr + "/type")
            return
        if typ == "image":
            self.image_fields(el, ptr)
            return
        aid = self.string(el, "action_id", ptr, 255, minlen=1)
        if aid is not None:
            if aid in action_ids:
                self.err("duplicate action_id: %s" % aid, ptr + "/action_id")
            action_ids.add(aid)
        self.confirm(el, ptr)
        if typ == "button":
            self.text(el, "text", ptr, 75, plain_only=True)
            self.string(el, "value", ptr, 2000)
            self.string(el, "url", ptr, 3000)
            self.string(el, "accessibility_label", ptr, 75)
            if "style" in el and el["style"] not in ("primary", "danger"):
                self.err("must be a valid enum value", ptr + "/style")
        elif typ == "workflow_button":
            self.text(el, "text", ptr, 75, plain_only=True)
        elif typ == "overflow":
            self.options(el, "options", ptr, 5, minn=1, plain_only=True)
        elif typ in ("static_select", "multi_static_select"):
            if "option_groups" in el:
                og = el["option_groups"]
                if not isinstance(og, list) or len(og) > 100:
                    self.err("must be less than 101 items", ptr + "/option_groups")
            else:
                self.options(el, "options", ptr, 100, plain_only=True)
            self.text(el, "placeholder", ptr, 150, plain_only=True, required=False)
        elif typ in ("checkboxes", "radio_buttons"):
            self.options(el, "options", ptr, 10)
        elif typ.endswith("_select") or typ in ("plain_text_input", "email_text_input",
                                               "url_text_input", "number_input",
                                               "datepicker", "timepicker"):
            self.text(el, "placeholder", ptr, 150, plain_only=True, required=False)
            if typ == "plain_text_input":
                for k in ("min_length", "max_length"):
                    if k in el and (not isinstance(el[k], int) or el[k] < 0 or el[k] > 3000):
                        self.err("must be between 0 and 3000", ptr + "/" + k)

    def image_fields(self, obj, ptr):
        if "image_url" not in obj and "slack_file" not in obj:
            self.err("missing required field: image_url", ptr)
        self.string(obj, "image_url", ptr, 3000, minlen=1)
        self.string(obj, "alt_text", ptr, 2000, required=True, minlen=1)

    # ---- blocks ---------------------------------------------------------
    def block(self, b, ptr, block_ids, surface):
        if not isinstance(b, dict):
            self.err("must be an object", ptr)
            return
        typ = b.get("type")
        if not isinstance(typ, str):
            self.err("missing required field: type", ptr)
            return
        if typ not in BLOCK_TYPES:
            self.err("unsupported type: %s" % typ, ptr + "/type")
            return
        bid = self.string(b, "block_id", ptr, 255, minlen=1)
        if bid is not None:
            if bid in block_ids:
                self.err("duplicate block_id: %s" % bid, ptr + "/block_id")
            block_ids.add(bid)
        action_ids = set()
        if typ == "section":
            if "text" not in b and "fields" not in b:
                self.err("must provide text or fields", ptr)
            self.text(b, "text", ptr, 3000, required=False)
            if "fields" in b:
                f = b["fields"]
                fp = ptr + "/fields"
                if not isinstance(f, list):
                    self.err("must be an array", fp)
                else:
                    if len(f) > 10:
                        self.err("must be less than 11 items", fp)
                    if len(f) == 0:
                        self.err("must provide at least 1 items", fp)
                    for i, fo in enumerate(f):
                        self.text({"x": fo}, "x", "%s/%d" % (fp, i), 2000)
            if "accessory" in b:
                self.element(b["accessory"], ptr + "/accessory", ACCESSORY_ELEMENTS, action_ids)
        elif typ == "header":
            self.text(b, "text", ptr, 150, plain_only=True)
        elif typ == "divider":
            pass
        elif typ == "image":
            self.image_fields(b, ptr)
            self.text(b, "title", ptr, 2000, plain_only=True, required=False)
        elif typ == "actions":
            els = b.get("elements")
            if not isinstance(els, list):
                self.err("missing required field: elements", ptr)
                return
            if len(els) == 0:
                self.err("must provide at least 1 items", ptr + "/elements")
            if len(els) > 25:
                self.err("must be less than 26 items", ptr + "/elements")
            for i, el in enumerate(els):
                self.element(el, "%s/elements/%d" % (ptr, i), ACTIONS_ELEMENTS, action_ids)
        elif typ == "context":
            els = b.get("elements")
            if not isinstance(els, list):
                self.err("missing required field: elements", ptr)
                return
            if len(els) == 0:
                self.err("must provide at least 1 items", ptr + "/elements")
            if len(els) > 10:
                self.err("must be less than 11 items", ptr + "/elements")
            for i, el in enumerate(els):
                ep = "%s/elements/%d" % (ptr, i)
                if isinstance(el, dict) and el.get("type") == "image":
                    self.image_fields(el, ep)
                else:
                    self.text({"x": el}, "x", ep, 3000)
        elif typ == "input":
            self.text(b, "label", ptr, 2000, plain_only=True)
            self.text(b, "hint", ptr, 2000, plain_only=True, required=False)
            if "element" not in b:
                self.err("missing required field: element", ptr)
            else:
                self.element(b["element"], ptr + "/element", INPUT_ELEMENTS, action_ids)
        elif typ == "rich_text":
            if not isinstance(b.get("elements"), list):
                self.err("missing required field: elements", ptr)
        elif typ == "markdown":
            self.string(b, "text", ptr, 12000, required=True, minlen=1)
        elif typ == "video":
            for k in ("video_url", "thumbnail_url", "alt_text"):
                if k not in b:
                    self.err("missing required field: %s" % k, ptr)
            self.text(b, "title", ptr, 200, plain_only=True)
        elif typ == "file":
            self.string(b, "external_id", ptr, 255, required=True)

    def blocks(self, blocks, ptr, maxn, surface):
        if not isinstance(blocks, list):
            self.err("must be an array", ptr)
            return
        if len(blocks) > maxn:
            self.err("must be less than %d items" % (maxn + 1), ptr)
        block_ids = set()
        for i, b in enumerate(blocks):
            self.block(b, "%s/%d" % (ptr, i), block_ids, surface)


def validate_message_blocks(blocks):
    """Returns a list of error strings (empty when valid)."""
    v = Validator()
    v.blocks(blocks, "/blocks", MESSAGE_MAX_BLOCKS, "message")
    return v.errors


def validate_view(view, raw_len=None):
    """Returns (error_code, messages). error_code None when valid."""
    if raw_len is None:
        raw_len = len(json.dumps(view).encode("utf-8"))
    if raw_len > VIEW_MAX_BYTES:
        return "view_too_large", ["view is larger than 250 KB"]
    v = Validator()
    if not isinstance(view, dict):
        return "invalid_arguments", ["[ERROR] must be an object [json-pointer:/view]"]
    typ = view.get("type")
    if typ not in ("modal", "home"):
        v.err("must be a valid enum value", "/view/type")
    if typ == "modal":
        v.text(view, "title", "/view", 24, plain_only=True)
        v.text(view, "submit", "/view", 24, plain_only=True, required=False)
        v.text(view, "close", "/view", 24, plain_only=True, required=False)
        blocks = view.get("blocks")
        if isinstance(blocks, list) and "submit" not in view and any(
                isinstance(b, dict) and b.get("type") == "input" for b in blocks):
            v.err("submit is required when an input block is within the view", "/view")
    else:
        v.text(view, "title", "/view", 24, plain_only=True, required=False)
    v.string(view, "private_metadata", "/view", 3000)
    v.string(view, "callback_id", "/view", 255)
    v.string(view, "external_id", "/view", 255)
    if "blocks" not in view:
        v.err("missing required field: blocks", "/view")
    else:
        v.blocks(view["blocks"], "/view/blocks", VIEW_MAX_BLOCKS, typ)
    if v.errors:
        return "invalid_arguments", ["[ERROR] " + e for e in v.errors]
    return None, []
