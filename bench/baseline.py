"""The canonical LangChain recipe, as a user would build it, over the same texts and model.

RecursiveCharacterTextSplitter(1000, 200) + HuggingFaceEmbeddings + Chroma, retriever k=4.
Both sides read each document through `retrieval.loading`, so they index the same text.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from retrieval.embedding import bundled_model_path
from retrieval.index import iter_document_files
from retrieval.loading import load_path


def baseline_chunks(*corpus: Path) -> list:
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    documents = []
    for path in iter_document_files(corpus):
        doc = load_path(path)
        documents.append(Document(page_content=doc.text, metadata={"source": doc.source, "title": doc.title}))
    return splitter.split_documents(documents)


def make_embeddings():
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=bundled_model_path(), model_kwargs={"device": "cpu"})


class Baseline:
    def __init__(self, chunks: list, embeddings=None, directory: str | None = None) -> None:
        import chromadb
        from langchain_chroma import Chroma

        self.embeddings = embeddings or make_embeddings()
        self.directory = directory or tempfile.mkdtemp(prefix="baseline-")
        client = chromadb.PersistentClient(path=self.directory, settings=chromadb.config.Settings(anonymized_telemetry=False))
        self.store = Chroma(client=client, collection_name="baseline", embedding_function=self.embeddings,
                            collection_metadata={"hnsw:space": "cosine"})
        if chunks:
            self.store.add_documents(chunks)
        self.retriever = self.store.as_retriever(search_kwargs={"k": 4})

    def retrieve(self, question: str) -> list[str]:
        return [d.page_content for d in self.retriever.invoke(question)]


def main(argv: list[str] | None = None) -> int:
    """Whole-process runs of the recipe, for the benchmarks:

        python -m bench.baseline ingest CHROMA_DIR PATH...   # index files or folders; prints a JSON line
        python -m bench.baseline ask CHROMA_DIR "question"   # cold start: load, retrieve, print
    """
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.baseline")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest")
    p.add_argument("directory")
    p.add_argument("paths", nargs="+", type=Path)
    p = sub.add_parser("ask")
    p.add_argument("directory")
    p.add_argument("question")
    args = parser.parse_args(argv)
    if args.command == "ingest":
        chunks = baseline_chunks(*args.paths)
        Baseline(chunks, directory=args.directory)
        print(json.dumps({"chunks": len(chunks)}))
    else:
        print("\n---\n".join(Baseline([], directory=args.directory).retrieve(args.question)))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
