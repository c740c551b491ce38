from vgx.cli import main

main()
