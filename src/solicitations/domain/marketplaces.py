"""The public SP-API marketplaces, by region, with the locale a buyer there reads by default."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Marketplace:
    marketplace_id: str
    country: str
    region: str
    default_locale: str


_ALL = (
    # North America
    Marketplace("A2EUQ1WTGCTBG2", "CA", "NA", "en_CA"),
    Marketplace("ATVPDKIKX0DER", "US", "NA", "en_US"),
    Marketplace("A1AM78C64UM0Y8", "MX", "NA", "es_MX"),
    Marketplace("A2Q3Y263D00KWC", "BR", "NA", "pt_BR"),
    # Europe, Middle East, Africa and India
    Marketplace("A28R8C7NBKEWEA", "IE", "EU", "en_IE"),
    Marketplace("A1RKKUPIHCS9HS", "ES", "EU", "es_ES"),
    Marketplace("A1F83G8C2ARO7P", "GB", "EU", "en_GB"),
    Marketplace("A13V1IB3VIYZZH", "FR", "EU", "fr_FR"),
    Marketplace("AMEN7PMS3EDWL", "BE", "EU", "fr_BE"),
    Marketplace("A1805IZSGTT6HS", "NL", "EU", "nl_NL"),
    Marketplace("A1PA6795UKMFR9", "DE", "EU", "de_DE"),
    Marketplace("APJ6JRA9NG5V4", "IT", "EU", "it_IT"),
    Marketplace("A2NODRKZP88ZB9", "SE", "EU", "sv_SE"),
    Marketplace("AE08WJ6YKNBMC", "ZA", "EU", "en_ZA"),
    Marketplace("A1C3SOZRARQ6R3", "PL", "EU", "pl_PL"),
    Marketplace("ARBP9OOSHTCHU", "EG", "EU", "ar_EG"),
    Marketplace("A33AVAJ2PDY3EV", "TR", "EU", "tr_TR"),
    Marketplace("A17E79C6D8DWNP", "SA", "EU", "ar_SA"),
    Marketplace("A2VIGQ35RCS4UG", "AE", "EU", "ar_AE"),
    Marketplace("A21TJRUUN4KGV", "IN", "EU", "en_IN"),
    # Far East
    Marketplace("A19VAU5U5O7RUS", "SG", "FE", "en_SG"),
    Marketplace("A39IBJ37TRP1C6", "AU", "FE", "en_AU"),
    Marketplace("A1VC38T7YXB528", "JP", "FE", "ja_JP"),
)

MARKETPLACES: dict[str, Marketplace] = {m.marketplace_id: m for m in _ALL}


def is_known(marketplace_id: str) -> bool:
    return marketplace_id in MARKETPLACES
