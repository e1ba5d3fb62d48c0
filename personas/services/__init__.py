"""The backend of Digital You: uploads, corpus, training, chat, access and storage."""
