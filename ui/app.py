"""A minimal Gradio page over the public ``qa`` API: ask, read the answer and its cited sources."""
from __future__ import annotations

import html

from qa import Answer, Assistant


def render(answer: Answer) -> str:
    """The answer and its citation cards as HTML; all article text is escaped, never trusted."""
    kind = "abstained" if answer.abstained else "answer"
    parts = [f'<div class="{kind}"><p>{html.escape(answer.text)}</p>']
    for c in answer.citations:
        i = c.passage.find(c.quote)
        before, after = c.passage[:i], c.passage[i + len(c.quote):]
        link = f' <a href="{html.escape(c.url, quote=True)}" rel="noopener noreferrer">{html.escape(c.url)}</a>' if c.url.startswith(("http://", "https://")) else ""
        parts.append(
            f'<div class="card" id="cite-{c.n}"><b>[{c.n}] {html.escape(c.title)}</b> ({c.date_label}){link}'
            f"<p>{html.escape(before)}<mark>{html.escape(c.quote)}</mark>{html.escape(after)}</p></div>"
        )
    if answer.abstained and answer.passages:
        parts.append("<p>Closest passages:</p><ul>")
        parts += [f"<li>{html.escape(p.title)} ({p.date_label})</li>" for p in answer.passages[:3]]
        parts.append("</ul>")
    return "".join(parts) + "</div>"


def build(assistant: Assistant):
    import gradio as gr

    def ask(question: str, as_of: str, mode: str) -> str:
        if not question.strip():
            return "<p>Type a question.</p>"
        return render(assistant.ask(question, as_of=as_of.strip() or None, mode=mode))

    with gr.Blocks(title="newsqa") as demo:
        gr.Markdown("## newsqa — answers from your news articles, with cited passages")
        with gr.Row():
            question = gr.Textbox(label="Question", scale=4)
            as_of = gr.Textbox(label="As of (YYYY-MM-DD)", scale=1)
            mode = gr.Dropdown(["default", "generate", "extract"], value=assistant.config.mode, label="Mode", scale=1)
        out = gr.HTML()
        gr.Button("Ask", variant="primary").click(ask, [question, as_of, mode], out)
        question.submit(ask, [question, as_of, mode], out)
    return demo


def serve(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the UI; loopback only unless told otherwise."""
    build(assistant).launch(server_name=host, server_port=port, share=False)
