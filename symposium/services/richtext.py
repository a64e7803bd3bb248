"""Rich text typed by people (speaker biographies): sanitised with nh3."""

import nh3

ALLOWED_TAGS = {"p", "br", "em", "strong", "i", "b", "ul", "ol", "li", "a"}


def sanitize(html: str | None) -> str:
    """Rich text limited to paragraphs, emphasis, lists and links (nh3)."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
