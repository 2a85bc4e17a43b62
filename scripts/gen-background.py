#!/usr/bin/python3
"""gen-background.py FORTUNES_ZH_CHINESE WORDNET_DIR: write the out-of-scope
background set (testdata/intent/background.jsonl) on standard output.

The sentences come from two Debian packages (see testdata/intent/README.md
for their licenses):
  zh  fortunes-zh 2.98, /usr/share/games/fortunes/chinese: the prose of its
      cookies (Debian's code of conduct and reference manual in Chinese,
      essays, sayings), cut into sentences at 。！？；, those in modern
      Chinese (with one of 的了们这吗呢吧) only
  en  wordnet-base, /usr/share/wordnet/data.{noun,verb,adj,adv}: the example
      sentences in double quotes of WordNet 3.0's glosses.
Sentences that talk about what a shop's customer service handles (orders,
delivery, refunds, payment, accounts, addresses, complaints, thanks, ...)
are dropped, so that no background text is in scope; then 250 of each
language are taken evenly spread over what is left.  Every line is
{"text": ..., "intent": "out_of_scope"}; the same inputs give the same
bytes.
"""
import json
import re
import sys
import unicodedata

PER_LANG = 250

ZH_SHOP = re.compile(
    "订单|订|快递|物流|包裹|发货|送货|送达|配送|收货|退|换货|付|支付|账|"
    "密码|登录|登陆|注册|地址|客服|人工|投诉|价|买|购|钱|费|卡|取消|谢|"
    "商品|产品|店|售|邮件|寄|单号|问题|建议|服务|差评|好评|功能|软件包|"
    "用户|帐")
EN_SHOP = re.compile(
    r"\b(order|ship|deliver|parcel|package|refund|return|cancel|pay|paid|"
    r"payment|charge|card|bill|invoice|account|password|log ?in|sign|"
    r"address|price|buy|bought|purchase|product|store|shop|sell|sold|"
    r"complain|agent|manager|thank|service|money|bank|credit|cash|cost|"
    r"dollar|refused|customer|help|email|mail|phone|call|app|item|"
    r"receipt|discount|subscription|ticket|broken|damaged|late|wrong)",
    re.I)
# words of modern Chinese that classical verse hardly has: the prose
ZH_MODERN = re.compile("[的了们这吗呢吧]")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def zh_sentences(path):
    with open(path, encoding="utf-8") as f:
        cookies = f.read().split("\n%\n")
    for c in cookies:
        c = ANSI.sub("", c)
        lines = [ln.strip() for ln in c.split("\n")]
        # attributions, tables, commands and code are not prose
        lines = [ln for ln in lines if ln and not ln.startswith("--") and
                 not re.search(r"[│┌└├─$#=/\\<>{}|~`]", ln)]
        for s in re.split(r"(?<=[。！？；])", "".join(lines)):
            s = s.strip().strip("“”\"").lstrip(".,，、”）) ")
            han = sum(1 for ch in s if "\u4e00" <= ch <= "\u9fff")
            if han < 8 or len(s) > 60 or han < 0.7 * len(s):
                continue
            yield s


def en_sentences(wndir):
    for part in ("noun", "verb", "adj", "adv"):
        with open(f"{wndir}/data.{part}", encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):
                    continue  # the license at the top
                for s in re.findall(r'"([^"]+)"', line.split("|", 1)[-1]):
                    s = s.strip()
                    if len(s.split()) >= 5 and len(s) <= 100:
                        yield s


def spread(items, n):
    items = list(dict.fromkeys(items))  # first of duplicates, in order
    if len(items) <= n:
        return items
    return [items[i * len(items) // n] for i in range(n)]


def key(s):
    return " ".join(unicodedata.normalize("NFKC", s).casefold().split())


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen-background.py FORTUNES_ZH_CHINESE WORDNET_DIR")
    zh = spread((s for s in zh_sentences(sys.argv[1])
                 if ZH_MODERN.search(s) and not ZH_SHOP.search(s)), PER_LANG)
    en = spread((s for s in en_sentences(sys.argv[2])
                 if not EN_SHOP.search(s)), PER_LANG)
    seen = set()
    for s in zh + en:
        if key(s) in seen:
            continue
        seen.add(key(s))
        print(json.dumps({"text": s, "intent": "out_of_scope"},
                         ensure_ascii=False))


main()
