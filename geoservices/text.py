"""Text clean-up for registry fields and place-name search keys."""
import re
import unicodedata

#: Registry values that mean "no data" (MINSA writes placeholders instead of leaving fields empty).
PLACEHOLDERS = frozenset({
    "", "-", "--", ".", "0", "S/N", "SN", "S/T", "ACTUALIZAR", "NO TIENE", "NINGUNO", "NULL", "NAN",
    "NO CUENTA CON TELEFONO", "NO CUENTA CON TELÉFONO", "NO REGISTRA", "SIN TELEFONO", "SIN TELÉFONO",
})

_SPACES = re.compile(r"\s+")


def search_key(text: str) -> str:
    """Return ``text`` lower-cased, without accents and with single spaces, for matching names."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", without_marks).strip().lower()


#: Sort position of ñ: Spanish orders it as its own letter after n, so "ñ" maps
#: to "n" followed by a character that sorts after every letter.
_ENYE_KEY = "n\uffff"


def spanish_sort_key(text: str) -> tuple[str, str]:
    """Return a key that sorts names as Spanish dictionaries do, without ICU.

    Accents and case are ignored (Áncash before Apurímac, Apurímac before
    Ucayali), ñ comes after n, and names that differ only in accents or case
    keep a fixed order through the second element.
    """
    lowered = unicodedata.normalize("NFC", text).casefold().replace("ñ", _ENYE_KEY)
    decomposed = unicodedata.normalize("NFKD", lowered)
    base = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", base).strip(), text


def clean_registry_value(value: str | None) -> str:
    """Return a registry field with placeholders such as "ACTUALIZAR" turned into an empty string."""
    if value is None:
        return ""
    collapsed = _SPACES.sub(" ", str(value)).strip()
    return "" if collapsed.upper() in PLACEHOLDERS else collapsed


#: Department names with the accents that the INEI boundary files drop.
DEPARTMENT_NAMES = {
    "01": "Amazonas", "02": "Áncash", "03": "Apurímac", "04": "Arequipa", "05": "Ayacucho",
    "06": "Cajamarca", "07": "Callao", "08": "Cusco", "09": "Huancavelica", "10": "Huánuco",
    "11": "Ica", "12": "Junín", "13": "La Libertad", "14": "Lambayeque", "15": "Lima",
    "16": "Loreto", "17": "Madre de Dios", "18": "Moquegua", "19": "Pasco", "20": "Piura",
    "21": "Puno", "22": "San Martín", "23": "Tacna", "24": "Tumbes", "25": "Ucayali",
}


def title_name(upper_name: str) -> str:
    """Turn an upper-case INEI name into title case, keeping Spanish particles lower-case."""
    small_words = {"de", "del", "la", "las", "los", "y", "el"}
    words = upper_name.strip().lower().split()
    titled = [word if index and word in small_words else word.capitalize() for index, word in enumerate(words)]
    return " ".join(titled)
