import csv
import io
from pathlib import Path

import numpy as np
import pytest
from saleor_personalization.offline.datasets import DatasetError, load_dataset

INTER_HEADER = "user_id:token\titem_id_list:token_seq\titem_id:token\n"
# Test split: user 1 bought item 2 twice; user 2's target repeats its history.
TEST_INTER = INTER_HEADER + "0\t0 1\t2\n1\t2 3 2\t0\n2\t1\t1\n"
VALID_INTER = INTER_HEADER + "0\t0\t1\n1\t2 3\t2\n2\t\t1\n"
TEXT = "item_id:token\ttext:token_seq\nA\tAlpha\nB\tBeta\tsecond tab\nC\t Gamma \n"

MOVIES = (
    "movieId,title,genres\n"
    "1,Toy Story (1995),Adventure|Animation\n"
    '2,"American President, The (1995)",Comedy|Drama\n'
    "3,Heat (1995),(no genres listed)\n"
    "5,Five (2000),Drama\n"
    "10,Ten (2001),Action\n"
)
# User 1: movies 3 and 5 are both liked at t=300 (the tie), movie 10 is disliked
# later. User 2 likes nothing and is skipped. User 3 has one positive.
RATINGS = (
    "userId,movieId,rating,timestamp\n"
    "1,5,4.5,300\n"
    "1,1,5.0,100\n"
    "1,2,3.0,200\n"
    "1,3,4.0,300\n"
    "1,10,2.0,400\n"
    "2,1,2.0,100\n"
    "3,10,1.0,60\n"
    "3,2,4.0,50\n"
)
TAGS = (
    "userId,movieId,tag,timestamp\n"
    "1,1,pixar,1\n"
    "2,1,Pixar,2\n"
    "2,1,fun,3\n"
    '1,2,"politics, romance",4\n'
)


def write_unisrec(folder: Path, offset: int = 0, **overrides: str) -> Path:
    """A four-item UniSRec folder (prefix "Tiny"); ``offset`` shifts its indices."""
    shift = lambda text: _shift_indices(text, offset)  # noqa: E731
    files = {
        "Tiny.item2index": "".join(
            f"{asin}\t{index + offset}\n" for index, asin in enumerate("ABCD")
        ),
        "Tiny.text": TEXT,
        "Tiny.test.inter": shift(TEST_INTER),
        "Tiny.valid.inter": shift(VALID_INTER),
    }
    files.update(overrides)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return folder


def _shift_indices(inter: str, offset: int) -> str:
    header, *rows = inter.splitlines(keepends=True)
    shifted = []
    for row in rows:
        user, history, target = row.rstrip("\n").split("\t")
        items = " ".join(str(int(i) + offset) for i in history.split())
        shifted.append(f"{user}\t{items}\t{int(target) + offset}\n")
    return header + "".join(shifted)


def write_movielens(folder: Path, **overrides: str) -> Path:
    files = {"movies.csv": MOVIES, "ratings.csv": RATINGS, "tags.csv": TAGS}
    files.update(overrides)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return folder


def as_lists(arrays: list[np.ndarray]) -> list[list]:
    return [array.tolist() for array in arrays]


@pytest.mark.parametrize("offset", [0, 1])
def test_unisrec_test_split(tmp_path, offset):
    data = load_dataset(write_unisrec(tmp_path / "tiny", offset=offset))

    assert data.name == "tiny"
    assert data.item_ids == ["A", "B", "C", "D"]
    assert data.item_texts == ["Alpha", "Beta\tsecond tab", "Gamma", ""]
    assert as_lists(data.histories) == [[0, 1], [2, 3, 2], [1]]
    assert data.targets.tolist() == [2, 0, 1]
    assert as_lists(data.history_weights) == [[1.0, 1.0], [1.0, 1.0, 1.0], [1.0]]
    assert data.history_times is None
    # The whole history is excluded, even user 2's repeat-purchase target.
    assert as_lists(data.exclude) == [[0, 1], [2, 3], [1]]
    # Models learn from train.inter: the history without the validation target.
    assert as_lists(data.train_histories) == [[0], [2, 3], []]
    assert data.interaction_matrix().toarray().tolist() == [
        [1, 0, 0, 0],
        [0, 0, 1, 1],
        [0, 0, 0, 0],
    ]
    assert data.history_matrix().toarray().tolist() == [
        [1, 1, 0, 0],
        [0, 0, 2, 1],
        [0, 1, 0, 0],
    ]
    assert (data.n_users, data.n_items) == (3, 4)


def test_unisrec_valid_split_trains_on_its_histories(tmp_path):
    data = load_dataset(write_unisrec(tmp_path / "tiny"), split="valid")

    assert as_lists(data.histories) == [[0], [2, 3], []]
    assert data.targets.tolist() == [1, 2, 1]
    assert data.train_histories is None
    assert data.interaction_matrix().toarray().tolist() == [
        [1, 0, 0, 0],
        [0, 0, 1, 1],
        [0, 0, 0, 0],
    ]


def test_movielens_test_split(tmp_path):
    data = load_dataset(write_movielens(tmp_path / "ml"))

    assert data.item_ids == ["1", "2", "3", "5", "10"]
    assert data.item_texts == [
        "Toy Story (1995). Genres: Adventure, Animation. Tags: pixar, fun.",
        "American President, The (1995). Genres: Comedy, Drama. "
        "Tags: politics, romance.",
        "Heat (1995).",
        "Five (2000). Genres: Drama.",
        "Ten (2001). Genres: Action.",
    ]
    # User 1's latest positives tie at t=300: movieId 5 (index 3) beats 3.
    assert data.targets.tolist() == [3, 1]
    assert as_lists(data.histories) == [[0, 1, 2, 4], [4]]
    assert as_lists(data.history_weights) == [[1.0, 0.0, 1.0, 0.0], [0.0]]
    assert as_lists(data.history_times) == [[100, 200, 300, 400], [60]]
    assert as_lists(data.exclude) == [[0, 1, 2, 4], [4]]
    assert data.train_histories is None
    assert data.interaction_matrix().toarray().tolist() == [
        [1, 0, 1, 0, 0],
        [0, 0, 0, 0, 0],
    ]


def test_movielens_valid_split_drops_ratings_from_the_test_target_on(tmp_path):
    data = load_dataset(write_movielens(tmp_path / "ml"), split="valid")

    # Only user 1 has two positives; the second-to-last (movieId 3) is the target.
    assert data.targets.tolist() == [2]
    assert as_lists(data.histories) == [[0, 1]]
    assert as_lists(data.history_times) == [[100, 200]]
    assert as_lists(data.exclude) == [[0, 1, 3, 4]]


def test_movielens_without_tags_and_with_many_tags(tmp_path):
    (tmp_path / "none").mkdir()
    for name, content in (("movies.csv", MOVIES), ("ratings.csv", RATINGS)):
        (tmp_path / "none" / name).write_text(content, encoding="utf-8")
    assert load_dataset(tmp_path / "none").item_texts[0] == (
        "Toy Story (1995). Genres: Adventure, Animation."
    )

    many = "userId,movieId,tag,timestamp\n"
    many += "".join(f"1,1,t{i},{i}\n" for i in range(25))
    tagged = load_dataset(write_movielens(tmp_path / "many", **{"tags.csv": many}))
    assert tagged.item_texts[0].endswith(
        "Tags: " + ", ".join(f"t{i}" for i in range(20)) + "."
    )


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))[1:]


def write_movielens_dat(folder: Path, **overrides: bytes) -> Path:
    """The csv fixture as ml-1m/ml-10m's header-less ``::`` files."""
    files = {
        name: "".join("::".join(row) + "\n" for row in _csv_rows(text)).encode()
        for name, text in (("movies.dat", MOVIES), ("ratings.dat", RATINGS), ("tags.dat", TAGS))
    }
    files.update(overrides)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


def write_movielens_100k(folder: Path, genre_file: bool = True) -> Path:
    """The csv fixture in ml-100k's layout: genres as flags, ISO-8859-1, no tags."""
    names = ["unknown", "Action", "Adventure", "Animation", "Comedy", "Drama"]
    items = []
    for movie_id, title, genres in _csv_rows(MOVIES):
        listed = {"unknown"} if genres == "(no genres listed)" else set(genres.split("|"))
        flags = "|".join("1" if name in listed else "0" for name in names)
        items.append(f"{movie_id}|{title}|01-Jan-1995||http://example.com/{movie_id}|{flags}\n")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "u.item").write_bytes("".join(items).encode("latin-1"))
    (folder / "u.data").write_text(
        "".join("\t".join(row) + "\n" for row in _csv_rows(RATINGS)), encoding="utf-8"
    )
    if genre_file:
        (folder / "u.genre").write_text(
            "".join(f"{name}|{i}\n" for i, name in enumerate(names)) + "\n", encoding="utf-8"
        )
    return folder


def _same_dataset(a, b) -> bool:
    return (
        a.item_ids == b.item_ids
        and a.item_texts == b.item_texts
        and a.targets.tolist() == b.targets.tolist()
        and as_lists(a.histories) == as_lists(b.histories)
        and as_lists(a.history_weights) == as_lists(b.history_weights)
        and as_lists(a.history_times) == as_lists(b.history_times)
        and as_lists(a.exclude) == as_lists(b.exclude)
    )


@pytest.mark.parametrize("split", ["test", "valid"])
def test_movielens_dat_files_read_like_the_csv_files(tmp_path, split):
    from_csv = load_dataset(write_movielens(tmp_path / "csv"), split=split)
    from_dat = load_dataset(write_movielens_dat(tmp_path / "ml-1m"), split=split)
    assert _same_dataset(from_dat, from_csv)


@pytest.mark.parametrize("genre_file", [True, False])
@pytest.mark.parametrize("split", ["test", "valid"])
def test_movielens_100k_files_read_like_the_csv_files_without_tags(tmp_path, split, genre_file):
    csv_folder = write_movielens(tmp_path / "csv")
    (csv_folder / "tags.csv").unlink()
    from_csv = load_dataset(csv_folder, split=split)
    folder = write_movielens_100k(tmp_path / "ml-100k", genre_file=genre_file)
    if not genre_file:
        # Without u.genre the flags are ml-100k's 19 genres in their usual order.
        names = "unknown Action Adventure Animation Children's Comedy Crime Documentary Drama"
        flags = {name: i for i, name in enumerate(names.split())}
        items = []
        for movie_id, title, genres in _csv_rows(MOVIES):
            marks = ["0"] * 19
            for genre in genres.split("|"):
                marks[flags.get(genre, 0)] = "1"
            items.append(f"{movie_id}|{title}|||url|{'|'.join(marks)}\n")
        (folder / "u.item").write_text("".join(items), encoding="utf-8")
    assert _same_dataset(load_dataset(folder, split=split), from_csv)


def test_movielens_iso_8859_1_titles_are_read(tmp_path):
    movies = "1::Misérables, Les (1995)::Drama\n".encode("latin-1")
    movies += "2::Amélie (2001)::Comedy|Romance\n".encode()  # a UTF-8 line beside it
    ratings = b"1::1::5::10\n1::2::4::20\n"
    folder = write_movielens_dat(
        tmp_path / "ml-1m", **{"movies.dat": movies, "ratings.dat": ratings, "tags.dat": b"x"}
    )
    (folder / "tags.dat").unlink()
    data = load_dataset(folder)
    assert data.item_texts == [
        "Misérables, Les (1995). Genres: Drama.",
        "Amélie (2001). Genres: Comedy, Romance.",
    ]


DAT_ERRORS = [
    ("movies.dat", b"", 1, "empty file; expected data rows"),
    ("movies.dat", b"1::Toy Story (1995)\n", 1, "2 fields separated by '::', expected 3"),
    ("ratings.dat", b"1::1::5::10\n1::99::4::20\n", 2, "unknown movieId (not in movies.dat) 99"),
    ("ratings.dat", b"1::1::five::10\n", 1, "rating 'five' is not a finite"),
    ("tags.dat", b"1::1::fun::1\n\n2::1::too::many::fields\n", 3, "5 fields separated by"),
]


@pytest.mark.parametrize(("file", "content", "line", "problem"), DAT_ERRORS)
def test_malformed_movielens_dat_files_name_file_and_line(tmp_path, file, content, line, problem):
    folder = write_movielens_dat(tmp_path / "ml-1m", **{file: content})
    with pytest.raises(DatasetError) as error:
        load_dataset(folder)
    assert (error.value.path.name, error.value.line) == (file, line)
    assert problem in str(error.value)


@pytest.mark.parametrize(
    ("file", "content", "line", "problem"),
    [
        ("u.item", "1|Toy Story (1995)|||url|0|0|0|2|0|0\n", 1, "genre flags must be 0 or 1"),
        ("u.item", "1|Toy Story (1995)|||url|0|0|0|1\n", 1, "9 fields separated by '|', expected 11"),
        ("u.genre", "unknown|0\nAction|2\n", 2, "genre index 2, expected 1"),
        ("u.data", "1\t1\t5\n", 1, "3 fields separated by '\\t', expected 4"),
    ],
)
def test_malformed_movielens_100k_files_name_file_and_line(tmp_path, file, content, line, problem):
    folder = write_movielens_100k(tmp_path / "ml-100k")
    (folder / file).write_text(content, encoding="utf-8")
    with pytest.raises(DatasetError) as error:
        load_dataset(folder)
    assert (error.value.path.name, error.value.line) == (file, line)
    assert problem in str(error.value)


RECBOLE_ITEMS = (
    "item_id:token\tmovie_title:token_seq\trelease_year:token\tprice:float\tclass:token_seq\n"
    "i1\tToy Story\t1995\t9.99\tAnimation Comedy\n"
    "i2\tHeat.\t\t\tAction\n"
    "i3\tFive\t2000\t1\t\n"
)
# u1: i1 at 10, i2 and i3 tie at 20 (file order: i3 first), then i1 again at 30.
# u2 has one interaction; u3's only item is not in the .item file.
RECBOLE_INTER = (
    "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
    "u1\ti1\t5\t10\n"
    "u1\ti3\t3\t20\n"
    "u1\ti2\t4\t20\n"
    "u2\ti2\t1\t5\n"
    "u1\ti1\t2\t30\n"
    "u3\ti9\t4\t7\n"
    "u3\ti1\t4\t8\n"
)


def write_recbole(folder: Path, **overrides: str) -> Path:
    files = {"ml-tiny.item": RECBOLE_ITEMS, "ml-tiny.inter": RECBOLE_INTER, "ml-tiny.user": "x"}
    files.update(overrides)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return folder


def test_recbole_atomic_files_test_split(tmp_path):
    data = load_dataset(write_recbole(tmp_path / "rb"))

    assert data.item_ids == ["i1", "i2", "i3", "i9"]
    assert data.item_texts == [
        "Toy Story. release year: 1995. class: Animation Comedy.",
        "Heat. class: Action.",
        "Five. release year: 2000.",
        "",  # only in .inter
    ]
    # Every interaction is a positive; the last by time is the target (u2: no history).
    assert data.targets.tolist() == [0, 1, 0]
    assert as_lists(data.histories) == [[0, 2, 1], [], [3]]
    assert as_lists(data.history_times) == [[10, 20, 20], [], [7]]
    assert as_lists(data.history_weights) == [[1, 1, 1], [], [1]]
    assert as_lists(data.exclude) == [[1, 2], [], [3]]


def test_recbole_valid_split_and_files_without_timestamps(tmp_path):
    valid = load_dataset(write_recbole(tmp_path / "rb"), split="valid")
    assert valid.targets.tolist() == [1, 3]  # u2 has a single interaction
    assert as_lists(valid.histories) == [[0, 2], []]
    assert as_lists(valid.exclude) == [[0, 2], [0]]

    untimed = "user_id:token\titem_id:token\n" + "u1\ti2\nu1\ti1\nu1\ti3\n"
    data = load_dataset(write_recbole(tmp_path / "untimed", **{"ml-tiny.inter": untimed}))
    assert data.targets.tolist() == [2]
    assert as_lists(data.histories) == [[1, 0]]
    assert data.history_times is None


def test_recbole_millisecond_timestamps_are_read_as_seconds(tmp_path):
    inter = "user_id:token\titem_id:token\ttimestamp:float\nu1\ti1\t1600000000000\n"
    inter += "u1\ti2\t1600000001500\n"
    data = load_dataset(write_recbole(tmp_path / "ms", **{"ml-tiny.inter": inter}))
    assert as_lists(data.history_times) == [[1600000000.0]]


def test_unisrec_files_beside_a_recbole_pair_stay_unisrec(tmp_path):
    folder = write_unisrec(tmp_path / "tiny")
    write_recbole(folder)
    assert load_dataset(folder).protocol.startswith("UniSRec")


@pytest.mark.parametrize(
    ("file", "content", "line", "problem"),
    [
        ("ml-tiny.inter", "user_id:token\titem:token\nu1\ti1\n", 1, "lacks column(s) ['item_id']"),
        ("ml-tiny.inter", RECBOLE_INTER + "u1\ti1\t4\tsoon\n", 9, "timestamp 'soon' is not"),
        ("ml-tiny.inter", RECBOLE_INTER + "u1\ti1\n", 9, "2 fields, expected 4"),
        ("ml-tiny.item", "", 1, "empty file"),
        ("ml-tiny.item", "title:token_seq\nToy Story\n", 1, "lacks column(s) ['item_id']"),
        ("ml-tiny.item", RECBOLE_ITEMS + "i1\tAgain\t\t\t\n", 5, "duplicate item_id 'i1'"),
    ],
)
def test_malformed_recbole_files_name_file_and_line(tmp_path, file, content, line, problem):
    folder = write_recbole(tmp_path / "rb", **{file: content})
    with pytest.raises(DatasetError) as error:
        load_dataset(folder)
    assert (error.value.path.name, error.value.line) == (file, line)
    assert problem in str(error.value)


def test_two_recbole_datasets_in_one_folder_are_refused(tmp_path):
    folder = write_recbole(tmp_path / "rb")
    (folder / "other.inter").write_text(RECBOLE_INTER, encoding="utf-8")
    (folder / "other.item").write_text(RECBOLE_ITEMS, encoding="utf-8")
    with pytest.raises(DatasetError, match="several RecBole datasets"):
        load_dataset(folder)


def test_unknown_folder_lists_the_expected_files(tmp_path):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(DatasetError, match="ratings.csv") as error:
        load_dataset(tmp_path)
    assert ".test.inter" in str(error.value)
    assert error.value.line is None


def test_unknown_split_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="test, valid"):
        load_dataset(write_unisrec(tmp_path / "tiny"), split="train")


def test_missing_split_file_names_it(tmp_path):
    folder = write_unisrec(tmp_path / "tiny")
    (folder / "Tiny.valid.inter").unlink()
    with pytest.raises(DatasetError, match="file not found") as error:
        load_dataset(folder, split="valid")
    assert error.value.path.name == "Tiny.valid.inter"
    assert error.value.line is None


UNISREC_ERRORS = [
    ("Tiny.test.inter", "", 1, "empty file"),
    ("Tiny.test.inter", INTER_HEADER, 2, "no data rows"),
    ("Tiny.test.inter", "user_id:token\titems:token_seq\titem_id:token\n0\t1\t2\n", 1,
     "lacks column(s) ['item_id_list']"),
    ("Tiny.test.inter", INTER_HEADER + "0\t0 1\t2\n1\t2 3\n", 3,
     "2 fields, expected 3"),
    ("Tiny.test.inter", INTER_HEADER + "0\t0 x\t2\n", 2, "'x' is not an integer"),
    ("Tiny.test.inter", INTER_HEADER + "0\t0\t1\n\n1\t0\t99\n", 4,
     "unknown item index"),
    ("Tiny.item2index", "A\t0\nB\t0\n", 2, "duplicate item"),
    ("Tiny.item2index", "A\t0\nB 1\n", 2, "1 fields, expected 2"),
    ("Tiny.text", TEXT + "Z\tZeta\n", 5, "unknown item id 'Z'"),
]


@pytest.mark.parametrize(("file", "content", "line", "problem"), UNISREC_ERRORS)
def test_malformed_unisrec_files_name_file_and_line(
    tmp_path, file, content, line, problem
):
    folder = write_unisrec(tmp_path / "tiny", **{file: content})
    with pytest.raises(DatasetError) as error:
        load_dataset(folder)
    assert (error.value.path.name, error.value.line) == (file, line)
    assert f"{file}:{line}: " in str(error.value)
    assert problem in str(error.value)


def test_invalid_utf8_is_reported_on_its_own_line(tmp_path):
    folder = write_unisrec(tmp_path / "tiny")
    # Far more than one read buffer of good lines before the bad byte.
    good = "".join(f"{a}\tsome text\n" for a in "ABCD" * 3000)
    (folder / "Tiny.text").write_bytes(
        ("item_id:token\ttext:token_seq\n" + good).encode() + b"A\t\xff\n"
    )
    with pytest.raises(DatasetError, match="not valid UTF-8") as error:
        load_dataset(folder)
    assert error.value.line == 12002


MOVIELENS_ERRORS = [
    ("movies.csv", "", 1, "empty file"),
    ("movies.csv", "movieId,name,genres\n1,A,Drama\n", 1, "lacks column(s) ['title']"),
    ("movies.csv", MOVIES + "1,Again,Drama\n", 7, "duplicate movieId 1"),
    ("movies.csv", 'movieId,title,genres\n1,"Two\nlines",Drama\n2,B\n', 4,
     "2 fields, expected 3"),
    ("ratings.csv", "userId,movieId,rating,timestamp\n", 2, "no data rows"),
    ("ratings.csv", RATINGS + "1,99,4.0,500\n", 10,
     "unknown movieId (not in movies.csv) 99"),
    ("ratings.csv", RATINGS + "1,1,good,500\n", 10, "rating 'good' is not a finite"),
    ("ratings.csv", RATINGS + "1,1,nan,500\n", 10, "rating 'nan' is not a finite"),
    ("ratings.csv", "userId,movieId,rating,timestamp\nu1,1,4.0,1\n", 2,
     "userId 'u1' is not an integer"),
    ("ratings.csv", RATINGS + "1,1,4.0\n", 10, "3 fields, expected 4"),
    ("ratings.csv", "userId,movieId,rating\n1,1,4.0\n", 1,
     "lacks column(s) ['timestamp']"),
    ("tags.csv", "", 1, "empty file"),
    ("tags.csv", TAGS + "1,42,nice,5\n", 6, "unknown movieId (not in movies.csv) 42"),
]


@pytest.mark.parametrize(("file", "content", "line", "problem"), MOVIELENS_ERRORS)
def test_malformed_movielens_files_name_file_and_line(
    tmp_path, file, content, line, problem
):
    folder = write_movielens(tmp_path / "ml", **{file: content})
    with pytest.raises(DatasetError) as error:
        load_dataset(folder)
    assert (error.value.path.name, error.value.line) == (file, line)
    assert f"{file}:{line}: " in str(error.value)
    assert problem in str(error.value)


@pytest.mark.slow
def test_real_amazon_scientific_matches_the_readme(datasets_dir):
    data = load_dataset(datasets_dir / "amazon-scientific")

    assert (data.n_users, data.n_items) == (8442, 4385)
    assert sum(len(h) for h in data.histories) + data.n_users == 59384
    assert all(data.item_texts)
    assert data.interaction_matrix().shape == (8442, 4385)


@pytest.mark.slow
def test_real_movielens_small_matches_the_readme(datasets_dir):
    data = load_dataset(datasets_dir / "ml-latest-small")

    assert data.n_items == 9742
    # 610 users rated movies; one of them never rated anything 4 or higher.
    assert data.n_users == 609
    assert all(w.max(initial=0) <= 1.0 for w in data.history_weights)
