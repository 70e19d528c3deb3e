"""The public SP-API marketplaces, by region, with the locale a buyer there reads by default and its website."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Marketplace:
    marketplace_id: str
    country: str
    region: str
    default_locale: str
    tld: str  # of the buyer-facing Amazon site, www.amazon.<tld>

    @property
    def website(self) -> str:
        return f"https://www.amazon.{self.tld}"


_ALL = (
    # North America
    Marketplace("A2EUQ1WTGCTBG2", "CA", "NA", "en_CA", "ca"),
    Marketplace("ATVPDKIKX0DER", "US", "NA", "en_US", "com"),
    Marketplace("A1AM78C64UM0Y8", "MX", "NA", "es_MX", "com.mx"),
    Marketplace("A2Q3Y263D00KWC", "BR", "NA", "pt_BR", "com.br"),
    # Europe, Middle East, Africa and India
    Marketplace("A28R8C7NBKEWEA", "IE", "EU", "en_IE", "ie"),
    Marketplace("A1RKKUPIHCS9HS", "ES", "EU", "es_ES", "es"),
    Marketplace("A1F83G8C2ARO7P", "GB", "EU", "en_GB", "co.uk"),
    Marketplace("A13V1IB3VIYZZH", "FR", "EU", "fr_FR", "fr"),
    Marketplace("AMEN7PMS3EDWL", "BE", "EU", "fr_BE", "com.be"),
    Marketplace("A1805IZSGTT6HS", "NL", "EU", "nl_NL", "nl"),
    Marketplace("A1PA6795UKMFR9", "DE", "EU", "de_DE", "de"),
    Marketplace("APJ6JRA9NG5V4", "IT", "EU", "it_IT", "it"),
    Marketplace("A2NODRKZP88ZB9", "SE", "EU", "sv_SE", "se"),
    Marketplace("AE08WJ6YKNBMC", "ZA", "EU", "en_ZA", "co.za"),
    Marketplace("A1C3SOZRARQ6R3", "PL", "EU", "pl_PL", "pl"),
    Marketplace("ARBP9OOSHTCHU", "EG", "EU", "ar_EG", "eg"),
    Marketplace("A33AVAJ2PDY3EV", "TR", "EU", "tr_TR", "com.tr"),
    Marketplace("A17E79C6D8DWNP", "SA", "EU", "ar_SA", "sa"),
    Marketplace("A2VIGQ35RCS4UG", "AE", "EU", "ar_AE", "ae"),
    Marketplace("A21TJRUUN4KGV", "IN", "EU", "en_IN", "in"),
    # Far East
    Marketplace("A19VAU5U5O7RUS", "SG", "FE", "en_SG", "sg"),
    Marketplace("A39IBJ37TRP1C6", "AU", "FE", "en_AU", "com.au"),
    Marketplace("A1VC38T7YXB528", "JP", "FE", "ja_JP", "co.jp"),
)

MARKETPLACES: dict[str, Marketplace] = {m.marketplace_id: m for m in _ALL}


def is_known(marketplace_id: str) -> bool:
    return marketplace_id in MARKETPLACES
