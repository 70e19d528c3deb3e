"""Where SP-API lives: the regional endpoints, their sandbox hosts and Login with Amazon's token URL."""

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"

ENDPOINTS: dict[str, str] = {
    "NA": "https://sellingpartnerapi-na.amazon.com",
    "EU": "https://sellingpartnerapi-eu.amazon.com",
    "FE": "https://sellingpartnerapi-fe.amazon.com",
    "NA-sandbox": "https://sandbox.sellingpartnerapi-na.amazon.com",
    "EU-sandbox": "https://sandbox.sellingpartnerapi-eu.amazon.com",
    "FE-sandbox": "https://sandbox.sellingpartnerapi-fe.amazon.com",
}


def resolve(endpoint: str) -> str:
    """A region name (`NA`, `EU-sandbox`, case-insensitive) or any base URL, as a base URL without a trailing slash."""
    named = {name.lower(): url for name, url in ENDPOINTS.items()}.get(endpoint.lower())
    if named is not None:
        return named
    if not endpoint.startswith(("http://", "https://")):
        raise ValueError(f"{endpoint!r} is neither a region ({', '.join(ENDPOINTS)}) nor an http(s) URL")
    return endpoint.rstrip("/")
