from solicitations.entrypoints.cli import main

main()
