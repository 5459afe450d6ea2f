from envmon.cli import main

main()
