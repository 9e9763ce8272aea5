from daeval.cli.app import main

main()
