"""What a final decision produces: certificates, attestations of partial validation, and the
minutes of each closed session (models, numbering, public codes, snapshots, PDFs)."""
