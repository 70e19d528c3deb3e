"""The final table of a run, for people (`--json` prints `Summary.as_json` instead)."""

from solicitations.requester.campaign import Summary


def table(summary: Summary) -> str:
    figures = summary.as_json()
    rows = [("asked", f"{figures['asked']}", f"this run {figures['askedThisRun']}, earlier {figures['askedEarlier']}")]
    if figures["wouldAsk"]:
        rows.append(("would ask (dry run)", f"{figures['wouldAsk']}", ""))
    rows += [(f"not offered: {reason}", f"{count}", "") for reason, count in figures["notOffered"].items()]
    opens = figures["nextWindowOpens"]
    rows.append(("not yet in window", f"{figures['notYetInWindow']}", f"next opens {opens}" if opens else ""))
    rows.append(("failed", f"{len(summary.failed)}", ""))
    rows += [(f"  {order_id}", "", why) for order_id, why in sorted(summary.failed.items())]
    width = max(len(row[0]) for row in rows)
    return "\n".join(f"{name:<{width}}  {count:>5}  {note}".rstrip() for name, count, note in rows)
